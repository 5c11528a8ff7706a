import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { NatsConnectionService } from '../nats/nats-connection.service';
import { pingDatabase } from '../prisma/database-ping';
import { PRISMA_CLIENT, type PrismaClientLike } from '../prisma/prisma.module';

/** 200 when the database and NATS answer, 503 otherwise (docs/ARCHITECTURE.md, "HTTP API": every app). */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly nats: NatsConnectionService,
    @Inject(PRISMA_CLIENT) private readonly prisma: PrismaClientLike,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([
      () =>
        this.indicators
          .check('database')
          .attempt(async () => void (await pingDatabase(this.prisma)))
          .withTimeout(3_000),
      () =>
        this.indicators
          .check('nats')
          .attempt(async () => {
            if (!this.nats.isConnected) throw new Error('not connected');
            const connection = await this.nats.connected();
            return { rttMs: await connection.rtt() };
          })
          .withTimeout(2_000),
    ]);
  }
}
