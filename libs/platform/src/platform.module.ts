import { type DynamicModule, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { APP_FILTER } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import type { z } from 'zod';
import { parseEnv, resolveNatsCredentials } from './config/env';
import { HealthController } from './health/health.controller';
import { LAB } from './lab/lab.store';
import { labEnabled, labParts } from './lab/lab.providers';
import { ShutdownLogService } from './lifecycle/shutdown-log.service';
import { DatabaseUnavailableFilter } from './http/database-unavailable.filter';
import { loggerOptions } from './logging/logger.options';
import { MetricsController, MetricsRegistry } from './metrics/metrics';
import { NatsConnectionService } from './nats/nats-connection.service';
import { PrismaModule, type PrismaClientLike, type PrismaModuleOptions } from './prisma/prisma.module';

export interface PlatformOptions<T extends PrismaClientLike> {
  /** The app's name in logs, metrics and NATS connection names, e.g. `order-service`. */
  service: string;
  /** The app's validated environment (see appEnvSchema). */
  env: z.ZodType<Record<string, unknown>>;
  prisma: PrismaModuleOptions<T>;
}

/** Everything an app shares: validated config, logs, Prisma, NATS, /health and /metrics. */
@Module({})
export class PlatformModule {
  static forRoot<T extends PrismaClientLike>(options: PlatformOptions<T>): DynamicModule {
    // Read at import time, after bootstrap validated the environment (PASSO_LAB is `on` or `off`).
    const lab = labParts(labEnabled());
    return {
      module: PlatformModule,
      global: true,
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          cache: true,
          validate: (raw) => {
            const env = parseEnv(options.env, raw);
            const nats = resolveNatsCredentials(env, options.prisma.urlEnv, options.service);
            return { ...env, ...nats, SERVICE_NAME: options.service };
          },
        }),
        LoggerModule.forRootAsync({
          inject: [ConfigService],
          useFactory: (config: ConfigService) =>
            loggerOptions(options.service, config.getOrThrow('LOG_LEVEL'), config.getOrThrow('LOG_FORMAT')),
        }),
        TerminusModule.forRoot({ logger: false }),
        PrismaModule.forRoot(options.prisma),
      ],
      controllers: [HealthController, MetricsController, ...lab.controllers],
      providers: [
        ...lab.providers,
        MetricsRegistry,
        NatsConnectionService,
        ShutdownLogService,
        { provide: APP_FILTER, useClass: DatabaseUnavailableFilter },
      ],
      exports: [MetricsRegistry, NatsConnectionService, LAB],
    };
  }
}
