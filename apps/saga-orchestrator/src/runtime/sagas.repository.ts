import { Injectable, Logger } from '@nestjs/common';
import { OrderPlaced, type SagaView } from '@passo/contracts';
import { type CommitWrite, type UnitOfWork, unitOfWorkOf } from '@passo/outbox';
import { Prisma, PrismaClient } from '@passo/prisma/orchestrator';
import { ACTIVE_STATUSES } from '../order-saga/order-saga.definition';
import type { SagaState } from '../order-saga/order-saga.transition';

type Tx = Prisma.TransactionClient;
const withSteps = { steps: { orderBy: { id: 'asc' } } } as const;
type SagaWithSteps = Prisma.SagaInstanceGetPayload<{ include: typeof withSteps }>;

export interface SavedSaga {
  state: SagaState;
  version: number;
  deadline: Date;
}

export interface StepRecord {
  name: string;
  status: string;
  detail: Prisma.InputJsonValue;
}

/** Another transaction changed (or created) a saga since it was read: reload and decide again. */
export class VersionConflict extends Error {}

type SagaRow = { orderId: string; state: string; data: object; version: number; deadline: Date };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Sagas kept in memory: far more than are in flight at any rate this machine takes. */
const REMEMBERED = 5_000;
/** How long memory stays unread after a saga taken from it had moved. */
export const MEMORY_OFF_MS = 60_000;

/** One saga written by a unit of work: created (version 0) or updated over the version `base`. */
interface SagaWrite {
  kind: 'create' | 'update';
  base: number;
  state: SagaState;
  deadline: Date;
}

/** What a unit of work does to the sagas, written in its commit statement (UnitOfWork.writeAtCommit). */
interface UnitSagas {
  /** Its sagas as its transaction has them, read or remembered (keys in lower case), from its first load. */
  view?: Promise<Map<string, SavedSaga | null>>;
  /** Sagas it took from memory, not from its transaction: their version is checked at the commit. */
  remembered: Map<string, number>;
  /** What it wrote, by order (lower case): its later loads see it. */
  writes: Map<string, SagaWrite>;
  steps: Array<{ orderId: string; step: StepRecord }>;
}

/**
 * The only place that knows the saga tables: `state` is the status, `data` the rest of SagaState.
 *
 * A unit of work's saga writes and step records go in its commit statement, each checked there:
 * a creation that finds a saga, an update that finds another version, or a saga taken from memory
 * whose version moved fails the statement, so the transaction rolls back whole (VersionConflict).
 * A consumed batch reads its sagas from memory — the ones this process last read or committed —
 * and from the database only the others, in one statement; an order whose only messages in the
 * batch are OrderPlaced is taken to have no saga yet (its creation checks it). Most batches of the
 * orchestrator then cost one round trip. Outside a batch (a message run alone after its batch
 * failed, a deadline) every saga is read from the database, so a retry decides on fresh state;
 * and once a saga from memory is found moved (replicas sharing the work), memory goes unread for
 * MEMORY_OFF_MS, so that batches do not fail one after the other.
 */
@Injectable()
export class SagasRepository {
  private readonly units = new WeakMap<UnitOfWork, UnitSagas>();
  private readonly memory = new Map<string, SavedSaga>();
  /** Memory is not read before this time (see distrustMemory). */
  private distrustedUntil = 0;
  private readonly logger = new Logger('Saga');
  /** Owners of the unit's commit writes, one per statement. */
  private readonly owners = { creations: {}, updates: {}, steps: {}, checks: {}, memory: {} };

  constructor(private readonly db: PrismaClient) {}

  find(orderId: string): Promise<SagaWithSteps | null> {
    return this.db.sagaInstance.findUnique({ where: { orderId }, include: withSteps });
  }

  /** The saga as this transaction sees it (in a batch: remembered, read for the whole batch, or written since). */
  async load(tx: Tx, orderId: string): Promise<SavedSaga | null> {
    const unit = this.unitOf(tx);
    const key = orderId.toLowerCase();
    const own = unit.writes.get(key);
    if (own) return written(own);
    unit.view ??= this.batchView(tx, unitOfWorkOf(tx)!, unit.remembered);
    const view = await unit.view;
    if (view.has(key)) return view.get(key)!;
    const [row] = await tx.$queryRaw<SagaRow[]>`
      SELECT order_id::text AS "orderId", state, data, version, deadline FROM saga_instances
       WHERE order_id = ${orderId}::uuid`;
    const saga = row ? this.remember(saved(row)) : null;
    view.set(key, saga);
    return saga;
  }

  /** Creates the saga at version 0 with its first step, at the commit (VersionConflict there if it exists). */
  async create(tx: Tx, state: SagaState, deadline: Date, step: StepRecord): Promise<void> {
    this.write(tx, { kind: 'create', base: 0, state, deadline }, step);
  }

  /**
   * Optimistic concurrency: writes over the version that was read, bumps it and logs the step, at
   * the commit (VersionConflict there if the version moved).
   */
  async update(tx: Tx, version: number, state: SagaState, deadline: Date, step: StepRecord): Promise<void> {
    this.write(tx, { kind: 'update', base: version, state, deadline }, step);
  }

  /** Logs a step that changed nothing (an ignored or duplicate reply). */
  async appendStep(tx: Tx, orderId: string, step: StepRecord): Promise<void> {
    this.unitOf(tx).steps.push({ orderId, step });
  }

  /** Active sagas whose deadline has passed, oldest deadline first. */
  async overdue(now: Date, limit: number): Promise<string[]> {
    const rows = await this.db.sagaInstance.findMany({
      where: { state: { in: [...ACTIVE_STATUSES] }, deadline: { lt: now } },
      orderBy: { deadline: 'asc' },
      take: limit,
      select: { orderId: true },
    });
    return rows.map((row) => row.orderId);
  }

  /** A saga written twice by one unit goes in once, as last written, over the version first read. */
  private write(tx: Tx, write: SagaWrite, step: StepRecord): void {
    const unit = this.unitOf(tx);
    const key = write.state.orderId.toLowerCase();
    const earlier = unit.writes.get(key);
    const merged = earlier ? { ...earlier, state: write.state, deadline: write.deadline } : write;
    unit.writes.set(key, merged);
    unit.steps.push({ orderId: write.state.orderId, step });
  }

  private unitOf(tx: Tx): UnitSagas {
    const unit = unitOfWorkOf(tx);
    if (!unit) throw new TypeError('SagasRepository runs in a unit of work (inUnitOfWork)');
    let sagas = this.units.get(unit);
    if (!sagas) {
      sagas = { remembered: new Map(), writes: new Map(), steps: [] };
      this.units.set(unit, sagas);
      this.owe(unit, sagas);
    }
    return sagas;
  }

  /**
   * A batch's sagas before its handlers run: remembered ones, none for an order only placed, and
   * the others read with one statement (the batch's orders load concurrently: they wait for it).
   */
  private async batchView(
    tx: Tx,
    unit: UnitOfWork,
    remembered: Map<string, number>,
  ): Promise<Map<string, SavedSaga | null>> {
    const view = new Map<string, SavedSaga | null>();
    if (!unit.batch) return view;
    const onlyPlaced = new Map<string, boolean>();
    for (const m of unit.messages) {
      const key = m.correlationId.toLowerCase();
      if (UUID.test(key)) onlyPlaced.set(key, (onlyPlaced.get(key) ?? true) && m.type === OrderPlaced.name);
    }
    const unread: string[] = [];
    const trusted = Date.now() >= this.distrustedUntil;
    for (const [key, placed] of onlyPlaced) {
      const known = trusted ? this.memory.get(key) : undefined;
      if (known) {
        view.set(key, known);
        remembered.set(key, known.version);
      } else if (placed) view.set(key, null);
      else unread.push(key);
    }
    if (unread.length === 0) return view;
    for (const key of unread) view.set(key, null);
    const rows = await tx.$queryRaw<SagaRow[]>`
      SELECT order_id::text AS "orderId", state, data, version, deadline FROM saga_instances
       WHERE order_id = ANY(${unread}::uuid[])`;
    for (const row of rows) view.set(row.orderId, this.remember(saved(row)));
    return view;
  }

  /** The unit's saga statements, owed at its commit, and what it remembers once committed. */
  private owe(unit: UnitOfWork, sagas: UnitSagas): void {
    const ofKind = (kind: SagaWrite['kind']) => [...sagas.writes.values()].filter((w) => w.kind === kind);
    unit.writeAtCommit(this.owners.creations, () => creations(ofKind('create')));
    // A conflict on a saga taken from memory: another process writes these sagas too.
    const distrusting = (write: CommitWrite | undefined) => {
      const expect = write?.expect;
      if (!expect || sagas.remembered.size === 0) return write;
      const mismatch = (returned: number) => (this.distrustMemory(), expect.mismatch(returned));
      return { ...write, expect: { ...expect, mismatch } };
    };
    unit.writeAtCommit(this.owners.updates, () => distrusting(updates(ofKind('update'))));
    unit.writeAtCommit(this.owners.steps, () => steps(sagas.steps));
    unit.writeAtCommit(this.owners.checks, () =>
      distrusting(checks([...sagas.remembered].filter(([key]) => sagas.writes.get(key)?.kind !== 'update'))),
    );
    unit.afterCommit(this.owners.memory, () => {
      for (const write of sagas.writes.values()) this.remember(written(write));
    });
  }

  /**
   * Batches read every saga from the database for a while: with other orchestrators writing the
   * same sagas (replicas sharing the durables), memory would fail batch after batch.
   */
  private distrustMemory(): void {
    if (Date.now() < this.distrustedUntil) return;
    this.distrustedUntil = Date.now() + MEMORY_OFF_MS;
    this.logger.log(
      `a saga changed since this process remembered it (another orchestrator?): sagas read from the database for ${MEMORY_OFF_MS / 1000} s`,
    );
  }

  /**
   * Kept as the newest of the sagas in memory (the oldest forgotten past REMEMBERED), unless a
   * later version is known already (a read that began before this process committed that one).
   */
  private remember(saga: SavedSaga): SavedSaga {
    const key = saga.state.orderId.toLowerCase();
    const known = this.memory.get(key);
    if (known && known.version > saga.version) return saga;
    this.memory.delete(key);
    this.memory.set(key, saga);
    if (this.memory.size > REMEMBERED) this.memory.delete(this.memory.keys().next().value!);
    return saga;
  }
}

function saved(row: SagaRow): SavedSaga {
  const state = { ...row.data, status: row.state } as SagaState;
  return { state, version: row.version, deadline: row.deadline };
}

/** The saga as its write leaves it. */
function written({ kind, base, state, deadline }: SagaWrite): SavedSaga {
  return { state, version: kind === 'create' ? 0 : base + 1, deadline };
}

/** The saga's row: `state` is the status, `data` (jsonb text) the rest. */
function columns({ status, ...data }: SagaState) {
  return { status, data: JSON.stringify(data) };
}

/** Every write of a kind must have found its row as read: else the whole unit fails. */
function conflict(writes: number, what: string) {
  return {
    rows: writes,
    mismatch: (returned: number) =>
      new VersionConflict(`${writes - returned} of ${writes} saga ${what} found the saga changed concurrently`),
  };
}

/** The creations, in order id order; one that finds its saga there writes nothing (a conflict). */
function creations(writes: SagaWrite[]): CommitWrite | undefined {
  if (writes.length === 0) return undefined;
  const saga = writes.map(({ state }) => columns(state));
  return {
    statement: (f) => `INSERT INTO saga_instances (order_id, state, data, deadline, updated_at)
      SELECT order_id, state, data::jsonb, deadline::timestamptz, now()
        FROM unnest($${f}::uuid[], $${f + 1}::text[], $${f + 2}::text[], $${f + 3}::text[]) AS w(order_id, state, data, deadline)
       ORDER BY order_id
      ON CONFLICT (order_id) DO NOTHING RETURNING 1`,
    values: [
      writes.map((w) => w.state.orderId),
      saga.map((c) => c.status),
      saga.map((c) => c.data),
      writes.map((w) => w.deadline.toISOString()),
    ],
    expect: conflict(writes.length, 'creation(s)'),
  };
}

/** The updates over the versions read, the sagas locked in order id order (no deadlock between replicas). */
function updates(writes: SagaWrite[]): CommitWrite | undefined {
  if (writes.length === 0) return undefined;
  const saga = writes.map(({ state }) => columns(state));
  return {
    statement: (f) => `UPDATE saga_instances s
         SET state = w.state, data = w.data::jsonb, deadline = w.deadline::timestamptz,
             version = s.version + 1, updated_at = now()
        FROM (SELECT w.* FROM unnest($${f}::uuid[], $${f + 1}::int[], $${f + 2}::text[], $${f + 3}::text[], $${f + 4}::text[])
                     AS w(order_id, version, state, data, deadline)
                JOIN (SELECT order_id FROM saga_instances WHERE order_id = ANY($${f}::uuid[])
                       ORDER BY order_id FOR UPDATE) locked USING (order_id)) w
       WHERE s.order_id = w.order_id AND s.version = w.version
      RETURNING 1`,
    values: [
      writes.map((w) => w.state.orderId),
      writes.map((w) => w.base),
      saga.map((c) => c.status),
      saga.map((c) => c.data),
      writes.map((w) => w.deadline.toISOString()),
    ],
    expect: conflict(writes.length, 'update(s)'),
  };
}

/** The unit's steps, in the order they were logged. */
function steps(logged: UnitSagas['steps']): CommitWrite | undefined {
  if (logged.length === 0) return undefined;
  return {
    statement: (f) => `INSERT INTO saga_steps (order_id, name, status, detail)
      SELECT order_id, name, status, detail::jsonb
        FROM unnest($${f}::uuid[], $${f + 1}::text[], $${f + 2}::text[], $${f + 3}::text[])
             WITH ORDINALITY AS s(order_id, name, status, detail, n)
       ORDER BY n RETURNING 1`,
    values: [
      logged.map((l) => l.orderId),
      logged.map((l) => l.step.name),
      logged.map((l) => l.step.status),
      logged.map((l) => JSON.stringify(l.step.detail)),
    ],
  };
}

/** Sagas decided on from memory and not updated: each must still be at the version remembered. */
function checks(remembered: Array<[string, number]>): CommitWrite | undefined {
  if (remembered.length === 0) return undefined;
  return {
    statement: (f) => `SELECT 1 FROM saga_instances s
      JOIN unnest($${f}::uuid[], $${f + 1}::int[]) AS c(order_id, version)
        ON s.order_id = c.order_id AND s.version = c.version`,
    values: [remembered.map(([key]) => key), remembered.map(([, version]) => version)],
    expect: conflict(remembered.length, 'read(s) from memory'),
  };
}

export function toSagaView(saga: SagaWithSteps): SagaView {
  return {
    orderId: saga.orderId,
    state: saga.state,
    version: saga.version,
    deadline: saga.deadline.toISOString(),
    steps: saga.steps.map((step) => ({
      name: step.name,
      status: step.status,
      at: step.at.toISOString(),
      detail: step.detail,
    })),
    createdAt: saga.createdAt.toISOString(),
    updatedAt: saga.updatedAt.toISOString(),
  };
}
