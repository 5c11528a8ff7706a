import { ErrorCode, type JetStreamClient, type JetStreamManager, type NatsConnection, type PubAck } from 'nats';
import type { PoolClient } from 'pg';
import { LabFaultError, type Lab } from '../lab/lab';
import { printable } from '../printable';
import type { RelayOptions } from './outbox.options';
import type { RelayLogger, RelayTestHooks } from './outbox-relay';
import type { RelayMetrics } from './relay-metrics';
import { bodyBytes, MARK_AND_SELECT_PENDING, publishRow, SELECT_PENDING, type PendingRow } from './relay-row';
import { unpublishableReason } from './unpublishable';

const PARK = `UPDATE outbox_messages SET parked_at = now(), attempts = attempts + 1, last_error = $2
  WHERE id = $1 AND published_at IS NULL`;

const MARK_PUBLISHED = `UPDATE outbox_messages SET published_at = $2::timestamptz, attempts = attempts + 1, last_error = NULL
  WHERE id = ANY($1::uuid[])`;

/** The leader's connection to the broker, as it stands for this batch. */
export interface RelayBroker {
  nats?: NatsConnection;
  js?: JetStreamClient;
  jsm?: JetStreamManager;
}

/**
 * One round of the leader: mark what the previous round published and read pending rows (one
 * statement), publish them pipelined, sort the failures (park what the broker can never take,
 * stop at the first that is the infrastructure's). Keeps order: nothing after a retried failure
 * is marked. The acked rows of a round are marked by the next round's read — at once when the
 * relay is busy, within OutboxRelay's MARK_WITHIN_MS when it is not — so a busy relay costs the
 * database one statement per round, not two.
 */
export class RelayPublishBatch {
  /**
   * Published and acked, still to be marked: the next read marks them and skips them. (Not a
   * sequence cursor: sequences are taken at insert, not commit, so a lower one can still appear later.)
   */
  private unmarked: string[] = [];
  /**
   * When the broker acked them: their published_at. A mark runs up to a round later, and stamping
   * it with the database's now() would add that wait to every row's relay lag.
   */
  private ackedAt = new Date(0);

  constructor(
    private readonly options: Pick<RelayOptions, 'batchSize' | 'name'>,
    private readonly metrics: RelayMetrics,
    private readonly logger: RelayLogger,
    private readonly lab: Lab | undefined,
    private readonly hooks: RelayTestHooks,
  ) {}

  /** Rows published but not marked yet: the relay runs another round soon, which marks them. */
  get marksPending(): boolean {
    return this.unmarked.length > 0;
  }

  /** Publishes the next batch; resolves to its size (the batch size: more may be waiting). */
  async publish(session: PoolClient, broker: RelayBroker): Promise<number> {
    const rows = await this.markAndRead(session);
    if (rows.length === 0) return 0;
    const js = broker.js as JetStreamClient;
    // Pipelined: every publish is sent before any ack is awaited; the stream stores them in send order.
    const lab = this.lab;
    const acks = await Promise.allSettled(
      rows.map((row) =>
        lab?.fires('publishFails')
          ? Promise.reject(new LabFaultError('publishFails', `relaying ${row.type}`)) // as if NATS were unreachable
          : publishRow(js, row),
      ),
    );
    const { failure, parked } = await this.sortFailures(rows, acks, broker);
    const done = rows.filter((_row, i) => (failure < 0 || i < failure) && acks[i].status === 'fulfilled');
    const now = Date.now();
    for (const row of done)
      this.metrics.lag.observe({ relay: this.options.name }, (now - Date.parse(row.occurred_at)) / 1_000);
    await this.hooks.beforeMark?.(done.map((row) => row.id));
    this.unmarked = done.map((row) => row.id);
    this.ackedAt = new Date(now);
    // Parked before the next read, so that read skips them and the rows behind them go on.
    for (const { row, reason } of parked) await this.park(session, row, reason);
    if (failure >= 0) {
      await this.settle(session);
      const reason = String((acks[failure] as PromiseRejectedResult).reason?.message ?? acks[failure]);
      await session.query('UPDATE outbox_messages SET attempts = attempts + 1, last_error = $2 WHERE id = $1', [
        rows[failure].id,
        reason.slice(0, 1_000),
      ]);
      // Rows after the failure are retried with it, in order; any the broker already stored are deduplicated.
      throw new Error(`publish of ${rows[failure].type} ${rows[failure].id} failed: ${reason}`);
    }
    return rows.length;
  }

  /** Marks what is still unmarked, alone (at a stop, before a retried failure). */
  async settle(session: PoolClient): Promise<void> {
    if (this.unmarked.length === 0) return;
    const ids = this.unmarked;
    await session.query(MARK_PUBLISHED, [ids, this.ackedAt]);
    this.unmarked = [];
    this.metrics.published.inc({ relay: this.options.name }, ids.length);
  }

  /** After the lock is lost: unmarked rows are re-published from the start; the broker dedups. */
  reset(): void {
    this.unmarked = [];
  }

  /** The previous round's rows marked, and the next pending ones read, in one statement. */
  private async markAndRead(session: PoolClient): Promise<PendingRow[]> {
    const ids = this.unmarked;
    // Named: parsed and planned once per session, not every round.
    if (ids.length === 0) {
      const read = { name: 'passo_relay_read', text: SELECT_PENDING, values: [this.options.batchSize, []] };
      return (await session.query<PendingRow>(read)).rows;
    }
    // A failed statement marks nothing: the relay restarts its round, and reset() re-publishes them (deduplicated).
    const markAndRead = {
      name: 'passo_relay_mark_read',
      text: MARK_AND_SELECT_PENDING,
      values: [this.options.batchSize, ids, this.ackedAt],
    };
    const { rows } = await session.query<PendingRow>(markAndRead);
    this.unmarked = [];
    this.metrics.published.inc({ relay: this.options.name }, ids.length);
    return rows;
  }

  /**
   * The first failure that is the infrastructure's (retried, with every row after it), and the
   * rows before it the broker can never take (parked). One stream lookup per subject and batch.
   */
  private async sortFailures(rows: PendingRow[], acks: PromiseSettledResult<PubAck>[], broker: RelayBroker) {
    const parked: { row: PendingRow; reason: string }[] = [];
    const verdicts = new Map<string, Promise<string | null>>();
    for (let i = 0; i < rows.length; i++) {
      const ack = acks[i];
      if (ack.status === 'fulfilled') continue;
      const row = rows[i];
      const error: unknown = ack.reason;
      // "No responders" is about the subject: one stream lookup answers for all its rows.
      const perSubject = (error as { code?: string } | undefined)?.code === ErrorCode.NoResponders;
      let verdict = perSubject ? verdicts.get(row.subject) : undefined;
      if (!verdict) {
        verdict = unpublishableReason(error, { subject: row.subject, bytes: bodyBytes(row) }, broker.nats, broker.jsm);
        if (perSubject) verdicts.set(row.subject, verdict);
      }
      const reason = await verdict;
      if (reason === null) return { failure: i, parked };
      parked.push({ row, reason });
    }
    return { failure: -1, parked };
  }

  /** Sets a row aside with its reason: it stays in the table, listed and released by `npm run outbox`. */
  private async park(session: PoolClient, row: PendingRow, reason: string): Promise<void> {
    await session.query(PARK, [row.id, reason.slice(0, 1_000)]);
    this.metrics.parked.inc({ relay: this.options.name });
    this.logger.error(
      printable(`${this.options.name}: parked outbox row ${row.id} (${row.type} to ${row.subject}): ${reason}`),
    );
  }
}
