import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Metrics of one consumer group; reused when another transport already registered them. */
export class TransportMetrics {
  readonly paused: Gauge<'consumer' | 'reason'>;
  readonly transientFailures: Counter<'consumer' | 'reason'>;
  readonly failures: Counter<'consumer'>;
  readonly deadLettered: Counter<'consumer' | 'cause'>;
  readonly acked: Counter<'consumer'>;
  readonly batchSize: Histogram<'consumer'>;
  readonly batchesSplit: Counter<'consumer' | 'class'>;

  constructor(registry: Registry | undefined, consumer: string) {
    const registers = registry ? [registry] : [];
    const existing = <T>(name: string) => registry?.getSingleMetric(name) as T | undefined;
    this.paused =
      existing('passo_consumer_paused') ??
      new Gauge({
        name: 'passo_consumer_paused',
        help: '1 while the consumer group has stopped pulling because a dependency is down',
        labelNames: ['consumer', 'reason'],
        registers,
      });
    this.transientFailures =
      existing('passo_consumer_transient_failures_total') ??
      new Counter({
        name: 'passo_consumer_transient_failures_total',
        help: 'Handler failures caused by the infrastructure (retried without limit, never dead-lettered)',
        labelNames: ['consumer', 'reason'],
        registers,
      });
    this.failures =
      existing('passo_consumer_failures_total') ??
      new Counter({
        name: 'passo_consumer_failures_total',
        help: 'Handler failures that count toward maxDeliver (unknown errors)',
        labelNames: ['consumer'],
        registers,
      });
    this.deadLettered =
      existing('passo_consumer_dead_letters_total') ??
      new Counter({
        name: 'passo_consumer_dead_letters_total',
        help: 'Messages dead-lettered, by cause: invalid, oversize, rejected, exhausted (maxDeliver failures)',
        labelNames: ['consumer', 'cause'],
        registers,
      });
    this.acked =
      existing('passo_consumer_acked_total') ??
      new Counter({
        name: 'passo_consumer_acked_total',
        help: 'Messages handled and acknowledged',
        labelNames: ['consumer'],
        registers,
      });
    this.batchSize =
      existing('passo_consumer_batch_size') ??
      new Histogram({
        name: 'passo_consumer_batch_size',
        help: 'Messages committed together in one unit of work',
        labelNames: ['consumer'],
        buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
        registers,
      });
    this.batchesSplit =
      existing('passo_consumer_batches_split_total') ??
      new Counter({
        name: 'passo_consumer_batches_split_total',
        help: 'Batches rolled back whole, by failure class: transient → all retried later, else run one by one',
        labelNames: ['consumer', 'class'],
        registers,
      });
    this.failures.inc({ consumer }, 0);
    this.acked.inc({ consumer }, 0);
  }
}
