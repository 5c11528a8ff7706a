import { type Client, type Notification, Pool, type PoolClient } from 'pg';
import {
  connect,
  ErrorCode,
  headers as natsHeaders,
  type JetStreamClient,
  type JetStreamManager,
  type NatsConnection,
  type PubAck,
} from 'nats';
import { ensureStreams } from '../jetstream/streams';
import { LabFaultError } from '../lab/lab';
import { printable } from '../printable';
import { Topology } from '../jetstream/topology';
import { natsConnectOptions } from '../nats/nats-connect';
import { RelayBackoff } from './relay-backoff';
import { DEFAULT_RELAY_OPTIONS, type OutboxOptions, type RelayOptions } from './outbox.options';
import { RelayMetrics } from './relay-metrics';
import { deleteExpired } from './cleanup';
import { unpublishableReason } from './unpublishable';

export interface RelayLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

interface PendingRow {
  id: string;
  subject: string;
  type: string;
  payload: string;
  traceparent: string | null;
  correlation_id: string;
  causation_id: string | null;
  occurred_at: string;
}

const SELECT_PENDING = `SELECT id, subject, type, payload::text AS payload, headers->>'traceparent' AS traceparent,
    correlation_id, causation_id, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS occurred_at
  FROM outbox_messages WHERE published_at IS NULL AND parked_at IS NULL AND NOT (id = ANY($2::uuid[])) ORDER BY sequence LIMIT $1`;

const PARK = `UPDATE outbox_messages SET parked_at = now(), attempts = attempts + 1, last_error = $2
  WHERE id = $1 AND published_at IS NULL`;

const MARK_PUBLISHED = `UPDATE outbox_messages SET published_at = now(), attempts = attempts + 1, last_error = NULL
  WHERE id = ANY($1::uuid[])`;

/**
 * Publishes committed outbox rows to JetStream in order, exactly as stored: the row id is the
 * Nats-Msg-Id, so a re-publish after a crash (published, not yet marked) is dropped by the
 * broker's duplicate window. One relay per database is active (a session advisory lock); the
 * others wait and take over when its session ends.
 */
export class OutboxRelay {
  private readonly options: RelayOptions;
  private readonly topology: Topology;
  private readonly pool: Pool;
  private readonly metrics: RelayMetrics;
  private readonly backoff: RelayBackoff;
  private nats?: NatsConnection;
  private js?: JetStreamClient;
  private jsm?: JetStreamManager;
  private session?: PoolClient;
  private running = false;
  private loop?: Promise<void>;
  private wakeUp?: () => void;
  /** A wake-up that came while the relay was busy: the next sleep returns at once (no lost NOTIFY). */
  private woken = false;
  private lastCleanup = 0;
  /**
   * The batch being marked while the next one is read: excluded from that read. (Not a sequence
   * cursor: sequences are taken at insert, not commit, so a lower one can still appear later.)
   */
  private inFlight: string[] = [];
  /** The UPDATE marking the previous batch, overlapped with publishing the next one. */
  private marking: Promise<void> = Promise.resolve();
  active = false;

  constructor(
    private readonly outbox: OutboxOptions,
    private readonly logger: RelayLogger,
    /** Test hook: runs after a batch is published and before it is marked (crash-window tests). */
    private readonly beforeMark?: (ids: string[]) => Promise<void> | void,
  ) {
    // An option given as undefined means "the default", not "unset".
    const given = Object.entries(outbox.relay ?? {}).filter(([, value]) => value !== undefined);
    this.options = { ...DEFAULT_RELAY_OPTIONS, ...Object.fromEntries(given) };
    this.topology = new Topology(outbox.topology);
    this.pool = new Pool({ connectionString: outbox.databaseUrl, max: 3, connectionTimeoutMillis: 5_000 });
    this.pool.on('error', () => undefined); // a dead idle client is replaced; the loop reports real failures
    this.metrics = new RelayMetrics(outbox.registry, this.pool, this.options.name);
    this.backoff = new RelayBackoff(this.options.backoffInitialMs, this.options.backoffMaxMs);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Finishes the batch in flight, releases the lock (session end) and closes connections. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    await this.nats?.drain().catch(() => undefined);
    await this.pool.end().catch(() => undefined);
  }

  /** Publish soon: a writer in this process committed. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        await this.connectNats();
        await this.lead();
      } catch (error) {
        this.release();
        if (!this.running) break;
        this.metrics.failed.inc({ relay: this.options.name });
        const delay = this.backoff.next();
        this.logger.warn(`${this.options.name}: ${(error as Error).message}; retrying in ${delay} ms`);
        await this.sleep(delay);
      }
    }
    this.release();
  }

  private async connectNats(): Promise<void> {
    if (this.js && this.nats && !this.nats.isClosed()) return;
    const options = natsConnectOptions(this.outbox.natsServers, this.options.name, this.outbox.natsCredentials);
    this.nats = await connect({ ...options, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    this.jsm = await this.nats.jetstreamManager();
    await ensureStreams(this.jsm, this.topology, this.outbox.contracts);
    this.js = this.nats.jetstream({ timeout: this.options.publishTimeoutMs });
  }

  /** Waits for the advisory lock, then drains the outbox for as long as this session holds it. */
  private async lead(): Promise<void> {
    const session = (this.session = await this.pool.connect());
    session.on('error', () => undefined);
    while (this.running) {
      const { rows } = await session.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [
        this.options.lockKey.toString(),
      ]);
      if (rows[0].locked) break;
      await this.sleep(this.options.pollIntervalMs * 4);
    }
    if (!this.running) return;
    this.active = true;
    this.logger.log(`${this.options.name}: active (holds the outbox lock)`);
    const onNotify = (message: Notification) => message.channel === this.options.channel && this.wake();
    (session as unknown as Client).on('notification', onNotify);
    await session.query(`LISTEN ${this.options.channel}`);
    while (this.running) {
      const published = await this.publishBatch(session);
      this.backoff.reset();
      if (published === this.options.batchSize) continue; // a busy relay keeps draining
      if (Date.now() - this.lastCleanup > this.options.cleanupIntervalMs) {
        await this.marking;
        await this.cleanup(session);
      }
      await this.sleep(this.options.pollIntervalMs);
    }
    await this.marking;
  }

  private async publishBatch(session: PoolClient): Promise<number> {
    const { rows } = await session.query<PendingRow>(SELECT_PENDING, [this.options.batchSize, this.inFlight]);
    if (rows.length === 0) return 0;
    const js = this.js as JetStreamClient;
    // Pipelined: every publish is sent before any ack is awaited; the stream stores them in send order.
    const lab = this.outbox.lab;
    const acks = await Promise.allSettled(
      rows.map((row) =>
        lab?.fires('publishFails')
          ? Promise.reject(new LabFaultError('publishFails', `relaying ${row.type}`)) // as if NATS were unreachable
          : publish(js, row),
      ),
    );
    const { failure, parked } = await this.sortFailures(rows, acks);
    const done = rows.filter((_row, i) => (failure < 0 || i < failure) && acks[i].status === 'fulfilled');
    const now = Date.now();
    for (const row of done)
      this.metrics.lag.observe({ relay: this.options.name }, (now - Date.parse(row.occurred_at)) / 1_000);
    await this.beforeMark?.(done.map((row) => row.id));
    await this.marking; // a failed mark stops the relay before it runs ahead
    if (done.length > 0) {
      this.inFlight = done.map((row) => row.id);
      this.marking = this.mark(this.inFlight);
      this.marking.catch(() => undefined); // observed by the next await
    }
    // Parked before the next read, so that read skips them and the rows behind them go on.
    for (const { row, reason } of parked) await this.park(session, row, reason);
    if (failure >= 0) {
      await this.marking;
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

  /**
   * The first failure that is the infrastructure's (retried, with every row after it), and the
   * rows before it the broker can never take (parked). One stream lookup per subject and batch.
   */
  private async sortFailures(rows: PendingRow[], acks: PromiseSettledResult<PubAck>[]) {
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
        verdict = unpublishableReason(error, { subject: row.subject, bytes: bodyBytes(row) }, this.nats, this.jsm);
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

  /** Marks acked rows on a second connection, so the session can read the next batch meanwhile. */
  private async mark(ids: string[]): Promise<void> {
    await this.pool.query(MARK_PUBLISHED, [ids]);
    this.metrics.published.inc({ relay: this.options.name }, ids.length);
  }

  private async cleanup(session: PoolClient): Promise<void> {
    this.lastCleanup = Date.now();
    const deleted = await deleteExpired(session, this.options, () => this.running);
    if (deleted > 0)
      this.logger.log(`${this.options.name}: cleaned up ${deleted} published outbox rows and inbox records`);
  }

  private release(): void {
    this.marking = Promise.resolve(); // unmarked rows are re-published from the start; the broker dedups
    this.inFlight = [];
    if (this.active) this.logger.log(`${this.options.name}: released the outbox lock`);
    this.active = false;
    // Ending the session releases the advisory lock, so a standby relay takes over.
    this.session?.release(true);
    this.session = undefined;
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((done) => {
      const finish = () => {
        clearTimeout(timer);
        // Forgotten once this sleep is over: a later wake() must only set the flag, which the next
        // sleep reads; calling a spent finish would clear it, and the relay would sleep through it.
        if (this.wakeUp === finish) this.wakeUp = undefined;
        this.woken = false;
        done();
      };
      const timer = setTimeout(finish, ms);
      this.wakeUp = finish;
    });
  }
}

function body(row: PendingRow): string {
  // The payload is spliced in as stored: no parse/stringify round trip on the hot path.
  const head = JSON.stringify({
    id: row.id,
    type: row.type,
    occurredAt: row.occurred_at,
    correlationId: row.correlation_id,
    causationId: row.causation_id,
    traceparent: row.traceparent,
  });
  return `${head.slice(0, -1)},"payload":${row.payload}}`;
}

function bodyBytes(row: PendingRow): number {
  return Buffer.byteLength(body(row));
}

/** A header the client refuses throws synchronously: as a rejection it is sorted like the others. */
function publish(js: JetStreamClient, row: PendingRow): Promise<PubAck> {
  try {
    return js.publish(row.subject, body(row), publishOptions(row));
  } catch (error) {
    return Promise.reject(error);
  }
}

function publishOptions(row: PendingRow) {
  const h = natsHeaders();
  h.set('Passo-Type', row.type);
  if (row.traceparent) h.set('traceparent', row.traceparent);
  return { msgID: row.id, headers: h };
}
