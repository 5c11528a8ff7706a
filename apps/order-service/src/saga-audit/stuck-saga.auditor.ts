import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { MetricsRegistry } from '@passo/platform';
import { Gauge } from 'prom-client';
import { SagaAuditRepository, type SettledOrder, type StuckOrder } from './saga-audit.repository';
import { StuckSet } from './stuck-set';

/** Orders named in the logs per run; the gauge still counts them all. Bounds memory and log volume. */
const MAX_LISTED = 1_000;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * Choreography has no conductor to compensate a saga that stalls (a participant down, a dead
 * letter), so order-service makes such sagas visible: a gauge of choreographed orders PENDING past
 * SAGA_DEADLINE_MS, a warning when one becomes stuck and another when it finally settles.
 * Orchestrated orders are left out: the orchestrator compensates them at their deadline.
 * Every replica audits (and so logs) on its own; after a restart, still-stuck orders are reported again.
 */
@Injectable()
export class StuckSagaAuditor implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(StuckSagaAuditor.name);
  private readonly gauge: Gauge<'mode'>;
  private readonly stuck = new StuckSet();
  private readonly deadlineMs: number;
  private readonly intervalMs: number;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private failing = false;

  constructor(
    private readonly orders: SagaAuditRepository,
    config: ConfigService,
    registry: MetricsRegistry,
  ) {
    this.deadlineMs = config.getOrThrow<number>('SAGA_DEADLINE_MS');
    this.intervalMs = config.getOrThrow<number>('SAGA_AUDIT_INTERVAL_MS');
    this.gauge = new Gauge({
      name: 'passo_saga_stuck',
      help: 'Sagas still PENDING past their deadline, by saga mode',
      labelNames: ['mode'],
      registers: [registry],
    });
  }

  onApplicationBootstrap(): void {
    // unref: the audit alone must never keep a stopping process alive.
    this.timer = setInterval(() => this.tick(), this.intervalMs).unref();
    this.tick();
  }

  /** Before the Prisma client disconnects (application shutdown): let a run in flight finish. */
  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** A run still going (a slow database) makes the next tick a no-op, so runs never pile up. */
  private tick(): void {
    if (this.running) return;
    this.running = this.audit()
      .catch((error: Error) => this.failed(error))
      .finally(() => (this.running = undefined));
  }

  private async audit(): Promise<void> {
    const { total, oldest } = await this.orders.stuckChoreographed(this.deadlineMs, MAX_LISTED);
    this.gauge.set({ mode: 'choreography' }, total);
    if (this.failing) this.logger.log('stuck-saga audit works again');
    this.failing = false;
    const { newlyStuck, left } = this.stuck.diff(oldest);
    const settled = left.length > 0 ? await this.orders.settled(left) : [];
    // Only now, with everything read: a run that failed half-way is reported by the next one.
    this.stuck.remember(oldest);
    for (const order of newlyStuck) this.reportStuck(order);
    for (const order of settled) this.reportSettled(order);
  }

  private reportStuck({ id, customerId, ageMs }: StuckOrder): void {
    this.logger.warn({
      msg: `choreographed saga stuck: order ${id} (customer ${customerId}) still PENDING after ${seconds(ageMs)} (deadline ${seconds(this.deadlineMs)})`,
      orderId: id,
      customerId,
      ageMs: Math.round(ageMs),
    });
  }

  private reportSettled({ id, status, sagaMs }: SettledOrder): void {
    const stuckMs = Math.max(0, sagaMs - this.deadlineMs);
    this.logger.warn({
      msg: `choreographed saga settled after being stuck: order ${id} ${status} after ${seconds(sagaMs)}, ${seconds(stuckMs)} past its deadline`,
      orderId: id,
      status,
      stuckMs,
    });
  }

  /** Once per failure streak: an unreachable database is already reported by /health. */
  private failed(error: Error): void {
    if (!this.failing) {
      this.logger.warn(`stuck-saga audit failed (retrying every ${this.intervalMs} ms): ${error.message}`);
    }
    this.failing = true;
  }
}
