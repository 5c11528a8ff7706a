export * from './bootstrap';
export * from './config/env';
export * from './http/not-found';
export * from './http/zod-validation.pipe';
export * from './metrics/metrics';
export * from './nats/nats-connection.service';
export * from './platform.module';
export * from './prisma/prisma.module';
