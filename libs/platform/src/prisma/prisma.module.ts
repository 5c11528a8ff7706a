import { type DynamicModule, Inject, Injectable, Module, type OnApplicationShutdown, type Type } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlExecutor, TransactionRunner } from '@passo/outbox';

/** What the platform needs of a generated Prisma client (each service has its own). */
export interface PrismaClientLike extends TransactionRunner<SqlExecutor> {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
  $disconnect(): Promise<void>;
}
type PrismaClientClass<T extends PrismaClientLike> = new (options: { adapter: PrismaPg }) => T;

/** Token under which the app's own Prisma client is also available to shared code (health). */
export const PRISMA_CLIENT = Symbol('PRISMA_CLIENT');

export interface PrismaModuleOptions<T extends PrismaClientLike> {
  client: PrismaClientClass<T>;
  urlEnv: string;
}

@Injectable()
class PrismaLifecycle implements OnApplicationShutdown {
  constructor(@Inject(PRISMA_CLIENT) private readonly prisma: PrismaClientLike) {}

  async onApplicationShutdown(): Promise<void> {
    await this.prisma.$disconnect();
  }
}

@Module({})
export class PrismaModule {
  /** Registers the generated client class itself as the injection token: `constructor(private db: PrismaClient)`. */
  static forRoot<T extends PrismaClientLike>({ client, urlEnv }: PrismaModuleOptions<T>): DynamicModule {
    return {
      module: PrismaModule,
      global: true,
      providers: [
        {
          provide: client as Type<T>,
          inject: [ConfigService],
          useFactory: (config: ConfigService) =>
            new client({
              adapter: new PrismaPg({
                connectionString: config.getOrThrow<string>(urlEnv),
                max: config.get<number>('DATABASE_POOL_SIZE') ?? 10,
                // An unreachable database must fail a request (and /health), not hang it.
                connectionTimeoutMillis: 5_000,
              }),
            }),
        },
        { provide: PRISMA_CLIENT, useExisting: client },
        PrismaLifecycle,
      ],
      exports: [client as Type<T>, PRISMA_CLIENT],
    };
  }
}
