import 'reflect-metadata';
import { existsSync } from 'node:fs';
import type { INestApplication, Type } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import type { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import type { z } from 'zod';
import type { MessageContract } from '@passo/contracts';
import { JetStreamTransport, type Lab, runInUnitOfWork } from '@passo/outbox';
import { bodyLimitBytes, InvalidConfigError, parseEnv } from './config/env';
import { LAB } from './lab/lab.store';
import { PassoFastifyAdapter } from './http/fastify-adapter';
import { requestId } from './logging/logger.options';
import { MetricsRegistry, observeHttp } from './metrics/metrics';
import { pingDatabase } from './prisma/database-ping';
import { CONSUMER_PRISMA_CLIENT, PRISMA_CLIENT, type PrismaClientLike } from './prisma/prisma.module';
import { natsCredentials } from './nats/nats-credentials';

/**
 * The HTTP server: Fastify, on which a request costs a third less CPU than on Express here
 * (docs/PERFORMANCE.md), and order-service's HTTP is its busiest work. Only JSON bodies are parsed; a body of any other type is
 * left unread, so the validation pipe answers 400 saying what is expected (as for no body).
 */
function httpAdapter(bodyLimit: number): FastifyAdapter {
  const adapter = new PassoFastifyAdapter({
    bodyLimit,
    trustProxy: 'loopback',
    requestIdHeader: false, // read (and checked) by requestId
    genReqId: requestId,
    // Route params are validated by the handlers' schemas (400 naming the field), not cut off at 100 characters (404).
    routerOptions: { maxParamLength: 2_048, ignoreTrailingSlash: true },
  });
  const fastify = adapter.getInstance();
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('X-Request-Id', request.id);
    done();
  });
  fastify.removeContentTypeParser('text/plain');
  fastify.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
  return adapter;
}

/** Applies what every app needs on top of its module: logger, HTTP metrics, shutdown hooks. */
export function configureApp(app: NestFastifyApplication): NestFastifyApplication {
  app.useLogger(app.get(Logger));
  observeHttp(app.getHttpAdapter().getInstance(), app.get(MetricsRegistry));
  // process.exit (not a re-raised signal) fires 'exit', which lets pino's transports flush.
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  return app;
}

export interface BootstrapOptions {
  service: string;
  env: z.ZodType;
  /** Contracts the app's @OnMessage handlers consume, over the JetStream transport (consumer = service). */
  consumes?: readonly MessageContract[];
  /** Loaded only after the environment is valid: module decorators read config at import time. */
  module: () => Promise<Type<unknown>>;
}

/** A batch holds its connection longer than one request does, and may wait longer for one. */
const BATCH_TRANSACTION = { maxWait: 10_000, timeout: 30_000 };

function connectMessaging(
  app: NestFastifyApplication,
  service: string,
  contracts: readonly MessageContract[],
  config: ConfigService,
): void {
  const prisma = app.get<PrismaClientLike>(PRISMA_CLIENT);
  const consumers = app.get<PrismaClientLike>(CONSUMER_PRISMA_CLIENT);
  const strategy = new JetStreamTransport({
    servers: config.getOrThrow<string>('NATS_URL').split(','),
    credentials: natsCredentials(config),
    consumer: service,
    contracts,
    topology: { prefix: config.get<string>('PASSO_TOPOLOGY_PREFIX') || undefined },
    ackWaitMs: config.getOrThrow<number>('MESSAGING_ACK_WAIT_MS'),
    // While the app's database is down its consumers pause; they resume when /health's check passes.
    probe: () => pingDatabase(consumers),
    // The messages pulled together commit together: one transaction and one round of acks per batch,
    // on the consumers' own pool; handlers written against the app's client join it.
    unitOfWork: (work, messages) =>
      runInUnitOfWork(consumers, work, { ...BATCH_TRANSACTION, joinedAs: prisma, batch: true, messages }),
    batchSize: config.getOrThrow<number>('MESSAGING_BATCH_SIZE'),
    // As many in flight per durable as a batch holds: a reply durable must be able to fill one.
    concurrency: config.getOrThrow<number>('MESSAGING_BATCH_SIZE'),
    registry: app.get(MetricsRegistry),
    logger: app.get(Logger),
    lab: app.get<Lab | null>(LAB) ?? undefined,
  });
  app.connectMicroservice({ strategy }, { inheritAppConfig: true });
}

function fail(service: string, message: string): never {
  process.stderr.write(`${service} failed to start. ${message}\n`);
  process.exit(1);
}

/** main.ts of every app: validate config, start, or exit 1 with a message naming what is wrong. */
export async function bootstrap({ service, env, module, consumes = [] }: BootstrapOptions): Promise<INestApplication> {
  // Same precedence as @nestjs/config: real environment first, then the project's .env.
  if (existsSync('.env')) process.loadEnvFile('.env');
  let bodyLimit: number;
  try {
    bodyLimit = bodyLimitBytes((parseEnv(env, process.env) as { HTTP_BODY_LIMIT: string }).HTTP_BODY_LIMIT);
  } catch (error) {
    if (error instanceof InvalidConfigError) fail(service, error.message);
    throw error;
  }
  try {
    const app = await NestFactory.create<NestFastifyApplication>(await module(), httpAdapter(bodyLimit), {
      bufferLogs: true,
      abortOnError: false,
      bodyParser: false, // Fastify's own JSON parser (with the limit above); no form or text parsing
    });
    configureApp(app);
    const config = app.get(ConfigService);
    if (consumes.length > 0) connectMessaging(app, service, consumes, config);
    const port = config.getOrThrow<number>('PORT');
    await app.listen(port, '0.0.0.0');
    app.get(Logger).log(`${service} listening on :${port}`);
    // After HTTP: consuming waits for NATS, and an app must answer /health (503) while NATS is down.
    let stopping = false;
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => (stopping = true));
    app.startAllMicroservices().catch((error: Error) => {
      if (stopping) return; // a stop during start-up interrupts the consumers' start: not a failure
      app.get(Logger).error(`messaging failed to start: ${error.message}`);
      process.exit(1);
    });
    return app;
  } catch (error) {
    fail(service, (error as Error).stack ?? String(error));
  }
}
