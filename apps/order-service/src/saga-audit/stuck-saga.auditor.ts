import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { SagaMode } from '@passo/contracts';
import { MetricsRegistry } from '@passo/platform';
import { Gauge } from 'prom-client';
import { SagaAuditRepository, type SettledOrder, type StuckOrder } from './saga-audit.repository';
import { StuckSet } from './stuck-set';

/** Orders named in the logs per run; the gauge still counts them all. Bounds memory and log volume. */
const MAX_LISTED = 1_000;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

const ADJECTIVE: Record<SagaMode, string> = { choreography: 'choreographed', orchestration: 'orchestrated' };

/**
 * Makes stalled sagas visible, in both modes: a gauge of orders PENDING past SAGA_DEADLINE_MS by
 * mode, a warning when one becomes stuck and another when it finally settles. Choreography has no
 * conductor to compensate a saga that stalls (a participant down, a dead letter); the orchestrator
 * compensates its sagas at their deadline, but cannot see an order whose saga never started (its
 * OrderPlaced lost or dead-lettered), and order-service, which holds every order, can. Orchestrated
 * orders get SAGA_STUCK_GRACE_MS more, for the orchestrator's CancelOrder to arrive.
 * Every replica audits (and so logs) on its own; after a restart, still-stuck orders are reported again.
 */
@Injectable()
export class StuckSagaAuditor implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(StuckSagaAuditor.name);
  private readonly gauge: Gauge<'mode'>;
  private readonly stuck = new StuckSet();
  private readonly deadlineMs: number;
  private readonly graceMs: number;
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
    this.graceMs = config.getOrThrow<number>('SAGA_STUCK_GRACE_MS');
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
    const { total, oldest } = await this.orders.stuck(this.deadlineMs, this.graceMs, MAX_LISTED);
    for (const [mode, count] of Object.entries(total)) this.gauge.set({ mode }, count);
    if (this.failing) this.logger.log('stuck-saga audit works again');
    this.failing = false;
    const { newlyStuck, left } = this.stuck.diff(oldest);
    const settled = left.length > 0 ? await this.orders.settled(left) : [];
    // Only now, with everything read: a run that failed half-way is reported by the next one.
    this.stuck.remember(oldest);
    for (const order of newlyStuck) this.reportStuck(order);
    for (const order of settled) this.reportSettled(order);
  }

  private reportStuck({ id, customerId, sagaMode, ageMs }: StuckOrder): void {
    const why = sagaMode === 'orchestration' ? '; the orchestrator has not settled it: did its saga start?' : '';
    this.logger.warn({
      msg: `${ADJECTIVE[sagaMode]} saga stuck: order ${id} (customer ${customerId}) still PENDING after ${seconds(ageMs)} (deadline ${seconds(this.deadlineMs)})${why}`,
      orderId: id,
      customerId,
      sagaMode,
      ageMs: Math.round(ageMs),
    });
  }

  private reportSettled({ id, status, sagaMode, sagaMs }: SettledOrder): void {
    const stuckMs = Math.max(0, sagaMs - this.deadlineMs);
    this.logger.warn({
      msg: `${ADJECTIVE[sagaMode]} saga settled after being stuck: order ${id} ${status} after ${seconds(sagaMs)}, ${seconds(stuckMs)} past its deadline`,
      orderId: id,
      status,
      sagaMode,
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
