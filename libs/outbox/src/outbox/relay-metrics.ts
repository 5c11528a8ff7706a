import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Pool } from 'pg';

/** The outbox's health in numbers: backlog, its age, publish lag, outcomes. */
export class RelayMetrics {
  readonly published: Counter<'relay'>;
  readonly failed: Counter<'relay'>;
  readonly parked: Counter<'relay'>;
  readonly lag: Histogram<'relay'>;

  constructor(registry: Registry | undefined, pool: Pool, relay: string) {
    const registers = registry ? [registry] : [];
    this.published = new Counter({
      name: 'passo_outbox_published_total',
      help: 'Outbox messages published and acknowledged by the broker',
      labelNames: ['relay'],
      registers,
    });
    this.failed = new Counter({
      name: 'passo_outbox_publish_failures_total',
      help: 'Failed publish attempts (retried)',
      labelNames: ['relay'],
      registers,
    });
    this.parked = new Counter({
      name: 'passo_outbox_parked_total',
      help: 'Outbox rows parked because the broker can never take them (see npm run outbox -- parked)',
      labelNames: ['relay'],
      registers,
    });
    this.lag = new Histogram({
      name: 'passo_outbox_publish_lag_seconds',
      help: 'Time from the outbox insert to the broker ack',
      labelNames: ['relay'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30],
      registers,
    });
    // Backlog gauges are read from the table at scrape time: true for every replica, not just the active one.
    const backlog = async () =>
      (
        await pool.query<{ pending: string; oldest: number | null }>(
          `SELECT count(*) AS pending, extract(epoch FROM now() - min(occurred_at))::float AS oldest
             FROM outbox_messages WHERE published_at IS NULL AND parked_at IS NULL`,
        )
      ).rows[0];
    new Gauge({
      name: 'passo_outbox_pending_messages',
      help: 'Outbox rows not yet published (parked ones excluded)',
      labelNames: ['relay'],
      registers,
      async collect() {
        this.set({ relay }, Number((await backlog().catch(() => ({ pending: 'NaN' }))).pending));
      },
    });
    new Gauge({
      name: 'passo_outbox_oldest_pending_age_seconds',
      help: 'Age of the oldest unpublished outbox row (0 when none)',
      labelNames: ['relay'],
      registers,
      async collect() {
        this.set({ relay }, (await backlog().catch(() => ({ oldest: Number.NaN }))).oldest ?? 0);
      },
    });
    new Gauge({
      name: 'passo_outbox_parked_messages',
      help: 'Outbox rows parked now, waiting for an operator (npm run outbox -- release)',
      labelNames: ['relay'],
      registers,
      async collect() {
        const parked = await pool
          .query<{ parked: string }>(
            'SELECT count(*) AS parked FROM outbox_messages WHERE published_at IS NULL AND parked_at IS NOT NULL',
          )
          .then((result) => Number(result.rows[0].parked))
          .catch(() => Number.NaN);
        this.set({ relay }, parked);
      },
    });
    this.published.inc({ relay }, 0);
    this.failed.inc({ relay }, 0);
    this.parked.inc({ relay }, 0);
  }
}
