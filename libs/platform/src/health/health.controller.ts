import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService, PrismaHealthIndicator } from '@nestjs/terminus';
import { NatsConnectionService } from '../nats/nats-connection.service';
import { PRISMA_CLIENT, type PrismaClientLike } from '../prisma/prisma.module';

/** 200 when the database and NATS answer, 503 otherwise (DESIGN.md: every app). */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly prismaIndicator: PrismaHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly nats: NatsConnectionService,
    @Inject(PRISMA_CLIENT) private readonly prisma: PrismaClientLike,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([
      () => this.prismaIndicator.pingCheck('database', this.prisma as never).withTimeout(3_000),
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
