import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Envelope, MessageContract } from '@passo/contracts';
import { Topology } from '../jetstream/topology';
import { DirectPublisher } from '../lab/direct-publisher';
import { NaiveDelivery } from '../lab/naive-delivery';
import type { RawQueryExecutor, SqlExecutor } from '../sql';
import { BatchNeedsSplit } from '../unit-of-work/batched-effect';
import { type UnitOfWork, unitOfWorkOf } from '../unit-of-work/unit-of-work';
import { DEFAULT_RELAY_OPTIONS, OUTBOX_OPTIONS, type OutboxOptions } from './outbox.options';
import { assertPublishable, DEFAULT_MAX_PAYLOAD_BYTES } from './publishable';
import type { PendingRow } from './relay-row';

export interface MessageMeta {
  /** The saga's correlation id (the order id). */
  correlationId: string;
  /** The message that caused this one (its envelope id), when there is one. */
  causationId?: string | null;
  traceparent?: string | null;
  /** Defaults to a new UUID; pass one to make the add itself idempotent. */
  id?: string;
}

const COLUMNS = 'id, subject, type, payload, headers, correlation_id, causation_id, occurred_at';
const CASTS = ['::uuid', '', '', '::jsonb', '::jsonb', '', '', '::timestamptz'];
/** Data-modifying CTEs to run with a message (see OutboxService.addAlong). */
export interface WritingCtes {
  /** `name AS (INSERT … RETURNING …), …` */
  ctes: string;
  /** The CTE whose rows the statement returns. */
  returning: string;
  values: readonly unknown[];
}

/** Data-modifying CTEs that write many callers' rows at once (see OutboxService.addAlongMany). */
export interface WritingCtesForMany extends WritingCtes {
  /**
   * The column of `returning`'s rows that holds the correlation id of what it wrote: a message
   * goes in only if a returned row carries its correlation id (a row the statement skipped, e.g.
   * ON CONFLICT DO NOTHING, writes no message).
   */
  correlatedBy: string;
}

/** A message checked and ready to write: its envelope, its row's values (COLUMNS order), the row as the relay reads it. */
interface Prepared<P = unknown> {
  envelope: Envelope<P>;
  values: unknown[];
  row: PendingRow;
}

/** One message of addAlongMany. */
export interface AlongMessage<P> {
  payload: P;
  meta: MessageMeta;
}

/** The message columns as arrays, one element per message: `unnest($n::uuid[], …)`. */
const ARRAY_CASTS = [
  '::uuid[]',
  '::text[]',
  '::text[]',
  '::jsonb[]',
  '::jsonb[]',
  '::text[]',
  '::text[]',
  '::timestamptz[]',
];
const INSERT = `INSERT INTO outbox_messages (${COLUMNS}) VALUES ${placeholders(1)}`;

/** `($n::uuid, $n+1, …)` for the row whose values start at parameter `first`. */
function placeholders(first: number): string {
  return `(${CASTS.map((cast, i) => `$${first + i}${cast}`).join(', ')})`;
}

/**
 * Writes messages in the caller's transaction, so the state change and the message commit or
 * roll back together: the dual write becomes one local write.
 */
@Injectable()
export class OutboxService implements OnApplicationShutdown {
  private readonly topology: Topology;
  private readonly channel: string;
  /** Rows added in a unit of work, waiting for its one INSERT (on this outbox's channel) before the commit. */
  private readonly pending = new WeakMap<UnitOfWork, Prepared[]>();
  private readonly committedListeners = new Set<(rows: readonly PendingRow[]) => void>();
  /** True while a relay that onCommitted's listeners wake leads (see skipNotifyWhile). */
  private relayWokenHereLeads: () => boolean = () => false;
  /**
   * The NOTIFY payload of the commits this outbox reports to onCommitted's listeners itself: a relay
   * those listeners already woke ignores these (OutboxRelay.ignoreNotifications), saving an empty
   * round. A plain add() in a caller's own transaction notifies with no payload: only the NOTIFY tells.
   */
  readonly notifyTag = randomUUID();
  private readonly maxPayloadBytes: number;
  /** The lab's dual writes (PASSO_LAB=on only): when it chooses one, messages skip the table. */
  private readonly naive?: NaiveDelivery;
  private readonly publisher?: DirectPublisher;

  constructor(@Inject(OUTBOX_OPTIONS) private readonly options: OutboxOptions) {
    this.topology = new Topology(options.topology);
    if (options.lab) {
      const name = `${options.relay?.name ?? DEFAULT_RELAY_OPTIONS.name}-lab`;
      this.publisher = new DirectPublisher(options, options.lab, name);
      this.naive = new NaiveDelivery(options.lab, this.publisher);
    }
    this.maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
    this.channel = options.relay?.channel ?? DEFAULT_RELAY_OPTIONS.channel;
  }

  /**
   * True while the lab's publish-before-commit delivery is chosen: add and addAlong then publish
   * a message before the statement it goes with, so a statement the database refuses (a unique key
   * taken) leaves a ghost message behind. A caller that can tell such a refusal beforehand should
   * check first while this holds; otherwise the refused statement is the check (no message goes).
   */
  get publishesBeforeWriting(): boolean {
    return this.naive?.publishesFirst ?? false;
  }

  async add<P>(tx: SqlExecutor, contract: MessageContract<P>, payload: P, meta: MessageMeta): Promise<Envelope<P>> {
    const prepared = this.prepare(contract, payload, meta);
    const { envelope, values } = prepared;
    if (this.naive?.active) {
      await this.naive.add(tx, this.topology.subject(contract), envelope);
      return envelope;
    }
    const unit = unitOfWorkOf(tx);
    if (unit) this.defer(unit, prepared);
    // executeRaw, not queryRaw: pg_notify returns void, which Prisma cannot deserialize.
    else await tx.$executeRawUnsafe(this.insertSql(INSERT, ''), ...values);
    // The lab's fault: the transaction fails once the row is in it, so the row goes with it.
    this.options.lab?.rollbackAfterPublish(`after adding ${envelope.type} to the outbox`);
    return envelope;
  }

  /**
   * The caller's writes and the message sent as one SQL statement: atomic without a transaction,
   * one round trip, for a use case whose whole effect fits in it (placing an order). The caller
   * gives its data-modifying CTEs (`placed AS (INSERT … RETURNING …), …`, parameters $1…$n; the
   * message's follow) and the one whose rows to resolve with. The message is written whatever they return.
   */
  async addAlong<P, R>(
    db: RawQueryExecutor,
    statement: WritingCtes,
    contract: MessageContract<P>,
    payload: P,
    meta: MessageMeta,
  ): Promise<{ envelope: Envelope<P>; rows: R[] }> {
    const { envelope, values, row } = this.prepare(contract, payload, meta);
    if (this.naive?.active) {
      const alone = `WITH ${statement.ctes} SELECT ${statement.returning}.* FROM ${statement.returning}`;
      const write = () => db.$queryRawUnsafe<R[]>(alone, ...statement.values);
      return { envelope, rows: await this.naive.addAlong(write, this.topology.subject(contract), envelope) };
    }
    // One statement: a failure "after the row went in" is no statement at all.
    this.options.lab?.rollbackAfterPublish(`before writing ${envelope.type} with its outbox row`);
    const message = `INSERT INTO outbox_messages (${COLUMNS}) VALUES ${placeholders(statement.values.length + 1)} RETURNING 1`;
    const { ctes, returning } = statement;
    const sql = `WITH ${ctes}, message AS (${message}) SELECT ${returning}.* FROM ${returning}${this.notifyJoin()}`;
    const rows = await db.$queryRawUnsafe<R[]>(sql, ...statement.values, ...values);
    this.options.lab?.crashAfterCommit(`writing ${envelope.type} to the outbox`); // the relay sends it after the restart
    this.committed([row]);
    return { envelope, rows };
  }

  /**
   * addAlong for many callers at once (placements coalesced across concurrent requests): the
   * caller's set-based CTEs and every message in one statement, a message written only with a row
   * `statement` returned for its correlation id. Under the lab's naive deliveries it refuses the
   * batch (BatchNeedsSplit): each caller then goes through addAlong, which the lab knows.
   */
  async addAlongMany<P, R>(
    db: RawQueryExecutor,
    statement: WritingCtesForMany,
    contract: MessageContract<P>,
    messages: readonly AlongMessage<P>[],
  ): Promise<{ envelopes: Envelope<P>[]; rows: R[] }> {
    if (this.naive?.active) throw new BatchNeedsSplit('the lab delivers messages without the outbox');
    const prepared = messages.map(({ payload, meta }) => this.prepare(contract, payload, meta));
    this.options.lab?.rollbackAfterPublish(`before writing ${messages.length} ${contract.name} with their outbox rows`);
    const first = statement.values.length + 1;
    const arrays = ARRAY_CASTS.map((cast, i) => `$${first + i}${cast}`).join(', ');
    const { ctes, returning, correlatedBy } = statement;
    const message = `INSERT INTO outbox_messages (${COLUMNS})
      SELECT ${COLUMNS} FROM unnest(${arrays}) AS m(${COLUMNS})
      WHERE m.correlation_id IN (SELECT ${returning}.${correlatedBy}::text FROM ${returning}) RETURNING 1`;
    const sql = `WITH ${ctes}, message AS (${message}) SELECT ${returning}.* FROM ${returning}${this.notifyJoin()}`;
    const columns = CASTS.map((_cast, i) => prepared.map(({ values }) => values[i]));
    const rows = await db.$queryRawUnsafe<R[]>(sql, ...statement.values, ...columns);
    this.options.lab?.crashAfterCommit(`writing ${messages.length} ${contract.name} to the outbox`);
    if (rows.length > 0) {
      // The messages written: those whose correlation id a returned row carries.
      const written = new Set(rows.map((r) => String((r as Record<string, unknown>)[correlatedBy])));
      this.committed(prepared.filter(({ row }) => written.has(row.correlation_id)).map(({ row }) => row));
    }
    return { envelopes: prepared.map(({ envelope }) => envelope), rows };
  }

  /**
   * Calls `listener` with the rows this outbox knows it just committed: after addAlong(Many), and
   * after a unit of work's commit, in the order they were written. The relay in the same process
   * publishes them so, without the NOTIFY's round trip (which still wakes relays of other
   * processes, and covers outbox.add in a caller's own transaction) and without reading them back.
   */
  onCommitted(listener: (rows: readonly PendingRow[]) => void): () => void {
    this.committedListeners.add(listener);
    return () => this.committedListeners.delete(listener);
  }

  /**
   * While `leads()` holds — the relay this outbox wakes in-process holds the outbox lock — the
   * commits it reports to onCommitted send no NOTIFY: that NOTIFY could only wake relays of other
   * processes, and none of them publishes while this one leads (PostgreSQL serialises NOTIFYs at
   * commit, a cost on every write). Should the lead move between a write and its commit, the new
   * leader finds the row in its first round or its poll. A plain add() in a caller's own
   * transaction always notifies: no commit of it is reported.
   */
  skipNotifyWhile(leads: () => boolean): void {
    this.relayWokenHereLeads = leads;
  }

  private committed(rows: readonly PendingRow[]): void {
    for (const listener of this.committedListeners) listener(rows);
  }

  /** Checks the payload and builds the envelope, the row's values (in COLUMNS order) and the row as the relay reads it. */
  private prepare<P>(contract: MessageContract<P>, payload: P, meta: MessageMeta): Prepared<P> {
    // Never let a message the consumers would reject into the outbox: fail the transaction instead.
    const checked = contract.schema.parse(payload);
    const envelope: Envelope<P> = {
      id: meta.id ?? randomUUID(),
      type: contract.name,
      occurredAt: new Date().toISOString(),
      correlationId: meta.correlationId,
      causationId: meta.causationId ?? null,
      traceparent: meta.traceparent ?? null,
      payload: checked,
    };
    // A row the relay could never publish would only park: refuse it here, rolling the caller back.
    assertPublishable(envelope, this.maxPayloadBytes);
    const values = [
      envelope.id,
      this.topology.subject(contract),
      envelope.type,
      JSON.stringify(envelope.payload),
      JSON.stringify(envelope.traceparent ? { traceparent: envelope.traceparent } : {}),
      envelope.correlationId,
      envelope.causationId,
      envelope.occurredAt,
    ];
    const row: PendingRow = {
      id: envelope.id,
      subject: values[1] as string,
      type: envelope.type,
      payload: values[3] as string,
      traceparent: envelope.traceparent,
      correlation_id: envelope.correlationId,
      causation_id: envelope.causationId,
      occurred_at: envelope.occurredAt,
    };
    return { envelope, values, row };
  }

  /** In a consumed batch's unit of work every row goes in with one INSERT (and one NOTIFY), in add order. */
  private defer(unit: UnitOfWork, prepared: Prepared): void {
    let rows = this.pending.get(unit);
    if (!rows) this.pending.set(unit, (rows = []));
    rows.push(prepared);
    unit.afterCommit(this, () => {
      this.options.lab?.crashAfterCommit(`committing ${rows!.length} outbox row(s)`); // the relay sends them after the restart
      this.committed(rows!.map(({ row }) => row));
    });
    // With the batch's inbox records, in one statement just before the commit.
    unit.writeAtCommit(this, () => {
      const all = this.pending.get(unit) ?? [];
      this.pending.delete(unit);
      if (all.length === 0) return undefined;
      // Columns as arrays, in add order: one text whatever the count, so the statement stays
      // prepared (see the platform's statementNames).
      return {
        statement: (first) => {
          const arrays = ARRAY_CASTS.map((cast, i) => `$${first + i}${cast}`).join(', ');
          return `INSERT INTO outbox_messages (${COLUMNS}) SELECT ${COLUMNS} FROM unnest(${arrays}) WITH ORDINALITY AS m(${COLUMNS}, n) ORDER BY n RETURNING 1`;
        },
        values: CASTS.map((_cast, i) => all.map(({ values }) => values[i])),
        then: this.notifiesCommits() ? (rows) => this.notifyOnce(rows) : undefined,
      };
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.publisher?.close();
  }

  /**
   * addAlong's NOTIFY: once if the statement's `message` CTE wrote a row, joined so that the
   * caller's rows come back whatever it wrote (void cast to text: Prisma cannot deserialize a void column).
   */
  private notifyJoin(): string {
    if (!this.notifiesCommits()) return '';
    return ` LEFT JOIN LATERAL (${this.notifyOnce('message')}) AS notified ON true`;
  }

  /** This outbox's NOTIFY (with its tag), once if the CTE `rows` wrote any row (void cast to text: see notifyJoin). */
  private notifyOnce(rows: string): string {
    return `SELECT pg_notify('${this.channel}', '${this.notifyTag}')::text FROM ${rows} LIMIT 1`;
  }

  /** Whether a commit this outbox reports (to onCommitted) also sends its NOTIFY. */
  private notifiesCommits(): boolean {
    return this.options.notify !== false && !this.relayWokenHereLeads();
  }

  private insertSql(insert: string, payload: string): string {
    if (this.options.notify === false) return insert;
    // One round trip; NOTIFY is delivered on commit only (and dropped on rollback).
    return `WITH inserted AS (${insert} RETURNING 1) SELECT pg_notify('${this.channel}', '${payload}') FROM inserted LIMIT 1`;
  }
}
