# One image for every Passo app; docker-compose.yml picks the app with APP.
FROM node:20-bookworm-slim AS build
WORKDIR /passo
COPY package.json package-lock.json ./
COPY scripts ./scripts
COPY tools ./tools
COPY prisma ./prisma
COPY libs/outbox/prisma ./libs/outbox/prisma
RUN npm ci
COPY . .
RUN npm run build

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /passo
COPY --from=build /passo/package.json /passo/package-lock.json ./
COPY --from=build /passo/node_modules ./node_modules
COPY --from=build /passo/dist ./dist
COPY --from=build /passo/scripts ./scripts
COPY --from=build /passo/tools ./tools
COPY --from=build /passo/prisma ./prisma
COPY --from=build /passo/libs ./libs
COPY --from=build /passo/tsconfig.json ./
USER node
CMD ["sh", "-c", "exec node dist/apps/${APP}/apps/${APP}/src/main.js"]
