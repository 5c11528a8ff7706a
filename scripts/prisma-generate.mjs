// Generates each service's Prisma client offline. `prisma generate` only needs the schema
// engine binary to exist (it is not run for generate); without it Prisma tries to download one.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const services = ['order', 'inventory', 'payment', 'orchestrator'];
const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1' };
if (!env.PRISMA_SCHEMA_ENGINE_BINARY || !existsSync(env.PRISMA_SCHEMA_ENGINE_BINARY)) {
  env.PRISMA_SCHEMA_ENGINE_BINARY = process.execPath;
}
const prismaCli = join(root, 'node_modules', 'prisma', 'build', 'index.js');
if (!existsSync(prismaCli)) {
  console.log('prisma-generate: prisma CLI not installed (production install?), skipping');
  process.exit(0);
}
for (const service of services) {
  const schema = join(root, 'prisma', service);
  const run = spawnSync(process.execPath, [prismaCli, 'generate', '--schema', schema], {
    cwd: root,
    env,
    encoding: 'utf8',
  });
  if (run.status !== 0) {
    process.stderr.write(run.stdout + run.stderr);
    console.error(`prisma-generate: failed for ${service}`);
    process.exit(run.status ?? 1);
  }
  console.log(`prisma-generate: ${service} client → prisma/${service}/generated`);
}
