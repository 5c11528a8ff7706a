import { type DynamicModule, Inject, Injectable, Module, type OnApplicationShutdown, type Type } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlExecutor, TransactionRunner } from '@passo/outbox';
import { deferredBeginPool } from './deferred-begin';
import { statementNames } from './statement-names';

/** What the platform needs of a generated Prisma client (each service has its own). */
export interface PrismaClientLike extends TransactionRunner<SqlExecutor> {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
  $disconnect(): Promise<void>;
}
type PrismaClientClass<T extends PrismaClientLike> = new (options: { adapter: PrismaPg }) => T;

/** Token under which the app's own Prisma client is also available to shared code (health). */
export const PRISMA_CLIENT = Symbol('PRISMA_CLIENT');

/**
 * A second client of the same class on a pool of its own (MESSAGING_DATABASE_POOL_SIZE), for the
 * consumers' units of work: HTTP requests and consumed batches never wait for each other's connections.
 */
export const CONSUMER_PRISMA_CLIENT = Symbol('CONSUMER_PRISMA_CLIENT');

export interface PrismaModuleOptions<T extends PrismaClientLike> {
  client: PrismaClientClass<T>;
  urlEnv: string;
}

/**
 * The adapter every app's clients use: a pool of `max`, named (prepared) statements, each parsed
 * and planned once per connection (statementNames), and each transaction's BEGIN written with its
 * first statement and its COMMIT with its last (deferredBeginPool).
 *
 * `genericPlans`: every prepared statement keeps one plan (PostgreSQL's `plan_cache_mode =
 * force_generic_plan`). For the consumers' set-based statements over array parameters
 * (`unnest($1::uuid[])`) PostgreSQL otherwise plans each run anew — a custom plan always looks
 * cheaper than the generic one, which assumes ten elements — and planning cost more than running
 * them: 1.5 s of 1.7 s of planning in 20 s of 25 orchestrated sagas/s (pg_stat_statements, on
 * `npm start`). Not for the apps' other clients: some of their queries (the saga deadline sweep's,
 * say) run 45× slower on a generic plan.
 */
export function prismaAdapter(
  connectionString: string,
  max: number,
  poolTimeoutMs: number,
  { genericPlans = false }: { genericPlans?: boolean } = {},
): PrismaPg {
  return new PrismaPg(
    deferredBeginPool({
      connectionString,
      max,
      ...(genericPlans ? { options: '-c plan_cache_mode=force_generic_plan' } : {}),
      // How long a query waits for a free connection (or to connect): then it fails, and a
      // request answers 503 instead of hanging — nor does an unreachable database hang it.
      connectionTimeoutMillis: poolTimeoutMs,
      // Kept once opened (pg closes an idle one after 10 s by default): a new connection costs a
      // backend, a SCRAM handshake, cold catalog caches and every named statement prepared again,
      // all paid by the first requests after any lull.
      idleTimeoutMillis: 0,
    }),
    // The pool is the adapter's own: $disconnect ends it.
    { statementNameGenerator: statementNames(), disposeExternalPool: true },
  );
}

@Injectable()
class PrismaLifecycle implements OnApplicationShutdown {
  constructor(
    @Inject(PRISMA_CLIENT) private readonly prisma: PrismaClientLike,
    @Inject(CONSUMER_PRISMA_CLIENT) private readonly consumers: PrismaClientLike,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.prisma.$disconnect(), this.consumers.$disconnect()]);
  }
}

@Module({})
export class PrismaModule {
  /** Registers the generated client class itself as the injection token: `constructor(private db: PrismaClient)`. */
  static forRoot<T extends PrismaClientLike>({ client, urlEnv }: PrismaModuleOptions<T>): DynamicModule {
    const connect = (config: ConfigService, max: number, genericPlans: boolean) =>
      new client({
        adapter: prismaAdapter(
          config.getOrThrow<string>(urlEnv),
          max,
          config.get<number>('DATABASE_POOL_TIMEOUT_MS') ?? 5_000,
          { genericPlans },
        ),
      });
    return {
      module: PrismaModule,
      global: true,
      providers: [
        {
          provide: client as Type<T>,
          inject: [ConfigService],
          useFactory: (config: ConfigService) => connect(config, config.get<number>('DATABASE_POOL_SIZE') ?? 10, false),
        },
        {
          provide: CONSUMER_PRISMA_CLIENT,
          inject: [ConfigService],
          useFactory: (config: ConfigService) =>
            connect(config, config.get<number>('MESSAGING_DATABASE_POOL_SIZE') ?? 2, true),
        },
        { provide: PRISMA_CLIENT, useExisting: client },
        PrismaLifecycle,
      ],
      exports: [client as Type<T>, PRISMA_CLIENT, CONSUMER_PRISMA_CLIENT],
    };
  }
}
