import type { MessageContract } from '@passo/contracts';

export interface TopologyOptions {
  /**
   * Prepended to every subject and stream name, so several systems (or tests) share one NATS
   * server without seeing each other's messages: `t1` → `t1.orders.event…` in stream `T1_ORDERS`.
   */
  prefix?: string;
  /** Broker-side dedup window for Nats-Msg-Id; must outlast the relay's longest retry. */
  duplicateWindowMs?: number;
}

const DEFAULT_DUPLICATE_WINDOW_MS = 2 * 60_000;

/** Where each contract lives on the broker: subjects, streams and the dead-letter stream. */
export class Topology {
  readonly prefix: string;
  readonly duplicateWindowMs: number;

  constructor({ prefix = '', duplicateWindowMs = DEFAULT_DUPLICATE_WINDOW_MS }: TopologyOptions = {}) {
    if (prefix && !/^[a-z0-9][a-z0-9-]*$/i.test(prefix)) throw new Error(`invalid topology prefix "${prefix}"`);
    if (duplicateWindowMs < DEFAULT_DUPLICATE_WINDOW_MS) {
      throw new Error(`duplicateWindowMs must be at least ${DEFAULT_DUPLICATE_WINDOW_MS} ms`);
    }
    this.prefix = prefix;
    this.duplicateWindowMs = duplicateWindowMs;
  }

  subject(contract: Pick<MessageContract, 'subject'>): string {
    return this.prefix ? `${this.prefix}.${contract.subject}` : contract.subject;
  }

  /** One stream per bounded context: `orders` → ORDERS, holding `orders.>`. */
  stream(context: string): { name: string; subjects: string[] } {
    const name = context.toUpperCase().replace(/-/g, '_');
    return {
      name: this.prefix ? `${this.prefix.toUpperCase().replace(/-/g, '_')}_${name}` : name,
      subjects: [this.prefix ? `${this.prefix}.${context}.>` : `${context}.>`],
    };
  }

  /** Dead letters of every consumer: `dlq.<consumer>.<original subject>` in DEAD_LETTERS. */
  deadLetters(): { name: string; subjects: string[] } {
    const stream = this.stream('dlq');
    return { name: stream.name.replace(/DLQ$/, 'DEAD_LETTERS'), subjects: stream.subjects };
  }

  deadLetterSubject(consumer: string, originalSubject: string): string {
    return this.prefix ? `${this.prefix}.dlq.${consumer}.${originalSubject}` : `dlq.${consumer}.${originalSubject}`;
  }

  /** Durable consumer name for one consumer group on one contract. */
  durable(consumer: string, contract: Pick<MessageContract, 'subject'>): string {
    return `${consumer}__${contract.subject.replace(/[.*>]/g, '_')}`;
  }
}
