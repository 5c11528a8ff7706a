import { ErrorCode, type JetStreamClient, type JetStreamManager, type NatsConnection, type PubAck } from 'nats';
import type { PoolClient } from 'pg';
import { LabFaultError, type Lab } from '../lab/lab';
import { printable } from '../printable';
import type { RelayOptions } from './outbox.options';
import type { RelayLogger, RelayTestHooks } from './outbox-relay';
import type { RelayMetrics } from './relay-metrics';
import {
  bodyBytes,
  MARK_AND_SELECT_PENDING,
  MARK_PUBLISHED,
  publishRow,
  SELECT_PENDING,
  type PendingRow,
} from './relay-row';
import { unpublishableReason } from './unpublishable';

const PARK = `UPDATE outbox_messages SET parked_at = now(), attempts = attempts + 1, last_error = $2
  WHERE id = $1 AND published_at IS NULL`;

/** The leader's connection to the broker, as it stands for this batch. */
export interface RelayBroker {
  nats?: NatsConnection;
  js?: JetStreamClient;
  jsm?: JetStreamManager;
}

/**
 * Longest a published row waits to be marked. Long enough that under a steady flow the marks of
 * many rounds go in one statement (on this project's VMs a wake-up of an idle PostgreSQL backend
 * is the dear part); short enough that the table reads "published" at once to a person, and that a
 * relay killed before it marks re-publishes little (the broker drops those within its duplicate window).
 */
export const MARK_WITHIN_MS = 100;

/**
 * One round of the leader: publish a batch pipelined, then sort the failures (park what the
 * broker can never take, stop at the first that is the infrastructure's). Keeps order: nothing
 * after a retried failure is marked.
 *
 * Where a round's rows come from: rows this process committed are handed over in memory at
 * commit (handOff) and sent to the broker at once, even while a round waits for its acks, with
 * no read of the table — the round that takes them only awaits their acks. The table is read (in
 * sequence order) when the relay starts leading, when it was woken by a NOTIFY, a poll or wake()
 * (rows others committed, or ones no one handed over), while a read comes back full, and when
 * marks are due; a read drops what is handed over and not yet published, which the read finds
 * itself (those rows committed before it was sent).
 * Published rows are marked within MARK_WITHIN_MS by a read's statement: a round reads when
 * marks are due, so a busy relay marks many rounds at once.
 */
export class RelayPublishBatch {
  /**
   * Published and acked, still to be marked, with when the broker acked each (their published_at:
   * stamping the mark's now() would add its wait to every row's relay lag). A read skips them.
   * (Not a sequence cursor: sequences are taken at insert, not commit, so a lower one can still appear later.)
   */
  private unmarked: { ids: string[]; ackedAt: Date[] } = { ids: [], ackedAt: [] };
  /** Since when the oldest unmarked row waits for its mark (0: none), for MARK_WITHIN_MS. */
  private unmarkedSince = 0;
  /** Rows committed in this process, handed over at commit, not yet published (in commit order). */
  private handed: PendingRow[] = [];
  /** Ids the last read published: a handover of a row the read found too is not published again. */
  private lastRead = new Set<string>();
  /** The next round reads the table (at the start of a lead, while a read comes back full, after an overflow). */
  private mustRead = true;
  /** Acks of handed-over rows sent at handOff, for the round that takes them. */
  private readonly sent = new Map<string, Promise<PubAck>>();
  /** The broker of the last round: handOff sends on it (none until a round ran, and after reset). */
  private js?: JetStreamClient;
  /**
   * While a read is out, rows handed over wait for the round after it: were it to come back full,
   * older rows still in the table must go first (a read comes next and finds them all in order).
   */
  private reading = false;
  /** A row handed over is waiting unsent: the ones after it wait too, or they would overtake it. */
  private holding = false;

  constructor(
    private readonly options: Pick<RelayOptions, 'batchSize' | 'name'>,
    private readonly metrics: RelayMetrics,
    private readonly logger: RelayLogger,
    private readonly lab: Lab | undefined,
    private readonly hooks: RelayTestHooks,
  ) {}

  /**
   * Rows of this process's commit, to publish without reading them back. More than a batch waiting
   * (the broker slow or away): they are dropped and the table read instead, so memory stays bounded.
   */
  handOff(rows: readonly PendingRow[]): void {
    if (this.mustRead) return; // the read to come finds them
    if (this.handed.length + rows.length > this.options.batchSize) {
      this.handed = [];
      this.sent.clear();
      this.holding = false;
      this.mustRead = true;
      return;
    }
    for (const row of rows) {
      this.handed.push(row);
      // Sent now, not when the round in flight has its acks: JetStream stores one connection's
      // publishes in the order sent, and the round that takes the row awaits its ack as before.
      if (this.js && !this.reading && !this.holding) {
        const ack = this.send(this.js, row);
        ack.catch(() => undefined); // judged by that round
        this.sent.set(row.id, ack);
      } else this.holding = true;
    }
  }

  /**
   * Publishes the next batch: the rows handed over or, when `readWanted` or a read is due (see the
   * class comment), the table's. Resolves to its size when it read the table, or whether more is
   * handed over (the batch size: run again at once).
   */
  async publish(session: PoolClient, broker: RelayBroker, readWanted: boolean): Promise<number> {
    this.js = broker.js;
    const read = readWanted || this.mustRead || this.handed.length === 0 || this.marksDue();
    const rows = read ? await this.read(session) : this.takeHanded();
    if (rows.length === 0) return !read && this.handed.length > 0 ? this.options.batchSize : 0;
    const js = this.js as JetStreamClient;
    // Pipelined: every publish is sent before any ack is awaited; the stream stores them in send order.
    const acks = await Promise.allSettled(rows.map((row) => this.takeSent(row.id) ?? this.send(js, row)));
    const { failure, parked } = await this.sortFailures(rows, acks, broker);
    const done = rows.filter((_row, i) => (failure < 0 || i < failure) && acks[i].status === 'fulfilled');
    const now = Date.now();
    for (const row of done)
      this.metrics.lag.observe({ relay: this.options.name }, (now - Date.parse(row.occurred_at)) / 1_000);
    await this.hooks.beforeMark?.(done.map((row) => row.id));
    const ackedAt = new Date(now);
    for (const row of done) {
      this.unmarked.ids.push(row.id);
      this.unmarked.ackedAt.push(ackedAt);
    }
    if (done.length > 0) this.unmarkedSince ||= Date.now();
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
    if (!read) return this.handed.length > 0 ? this.options.batchSize : rows.length;
    return rows.length;
  }

  /** Marks what is still unmarked, alone (at a stop, before a retried failure). */
  async settle(session: PoolClient): Promise<void> {
    if (this.unmarked.ids.length === 0) return;
    const { ids, ackedAt } = this.unmarked;
    await session.query({ name: 'passo_relay_mark', text: MARK_PUBLISHED, values: [ids, ackedAt] });
    this.marked();
  }

  /** How long until the oldest unmarked row must be marked (undefined: none is waiting). */
  get marksDueIn(): number | undefined {
    return this.unmarkedSince ? Math.max(0, this.unmarkedSince + MARK_WITHIN_MS - Date.now()) : undefined;
  }

  /** After the lock is lost: unmarked rows are re-published from the start; the broker dedups. */
  reset(): void {
    this.unmarked = { ids: [], ackedAt: [] };
    this.unmarkedSince = 0;
    this.handed = [];
    this.sent.clear();
    this.holding = false;
    this.js = undefined;
    this.lastRead.clear();
    this.mustRead = true;
  }

  private marksDue(): boolean {
    return this.unmarkedSince > 0 && Date.now() - this.unmarkedSince >= MARK_WITHIN_MS;
  }

  private marked(): void {
    this.metrics.published.inc({ relay: this.options.name }, this.unmarked.ids.length);
    this.unmarked = { ids: [], ackedAt: [] };
    this.unmarkedSince = 0;
  }

  /** Up to a batch of the rows handed over, less any the last read published already. */
  private takeHanded(): PendingRow[] {
    const rows = this.handed.splice(0, this.options.batchSize);
    this.holding = this.handed.some((row) => !this.sent.has(row.id));
    if (this.lastRead.size === 0) return rows;
    return rows.filter((row) => {
      if (!this.lastRead.has(row.id)) return true;
      this.sent.delete(row.id); // the read sent it already (the broker drops the copy)
      return false;
    });
  }

  private takeSent(id: string): Promise<PubAck> | undefined {
    const ack = this.sent.get(id);
    this.sent.delete(id);
    return ack;
  }

  private send(js: JetStreamClient, row: PendingRow): Promise<PubAck> {
    return this.lab?.fires('publishFails')
      ? Promise.reject(new LabFaultError('publishFails', `relaying ${row.type}`)) // as if NATS were unreachable
      : publishRow(js, row);
  }

  /**
   * The pending rows, in sequence order, with the unmarked ones marked in the same statement.
   * What is handed over is dropped first: committed before this read is sent, the read finds it.
   */
  private async read(session: PoolClient): Promise<PendingRow[]> {
    this.handed = [];
    this.holding = false;
    this.sent.clear(); // sent already, they are read and sent again: the broker drops the copies
    this.mustRead = false;
    const { ids, ackedAt } = this.unmarked;
    let rows: PendingRow[];
    this.reading = true;
    try {
      // Named: parsed and planned once per session, not every round.
      if (ids.length === 0) {
        const read = { name: 'passo_relay_read', text: SELECT_PENDING, values: [this.options.batchSize, []] };
        rows = (await session.query<PendingRow>(read)).rows;
      } else {
        // A failed statement marks nothing: the relay restarts its round, and reset() re-publishes them (deduplicated).
        const markAndRead = {
          name: 'passo_relay_mark_read',
          text: MARK_AND_SELECT_PENDING,
          values: [this.options.batchSize, ids, ackedAt],
        };
        rows = (await session.query<PendingRow>(markAndRead)).rows;
        this.marked();
      }
    } finally {
      this.reading = false;
    }
    // A full read may leave rows behind: the next round reads again.
    if (rows.length === this.options.batchSize) this.mustRead = true;
    this.lastRead = new Set(rows.map((row) => row.id));
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
