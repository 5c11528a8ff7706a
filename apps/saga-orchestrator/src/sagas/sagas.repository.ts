import { Injectable } from '@nestjs/common';
import type { SagaView } from '@passo/contracts';
import { Prisma, PrismaClient } from '@passo/prisma/orchestrator';
import { ACTIVE_STATUSES } from '../saga/order-saga.definition';
import type { SagaState } from '../saga/order-saga.transition';

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

/** Another transaction changed (or created) the saga since it was read: reload and decide again. */
export class VersionConflict extends Error {
  constructor(readonly orderId: string) {
    super(`saga ${orderId} changed concurrently`);
  }
}

/** The only place that knows the saga tables: `state` is the status, `data` the rest of SagaState. */
@Injectable()
export class SagasRepository {
  constructor(private readonly db: PrismaClient) {}

  find(orderId: string): Promise<SagaWithSteps | null> {
    return this.db.sagaInstance.findUnique({ where: { orderId }, include: withSteps });
  }

  async load(tx: Tx, orderId: string): Promise<SavedSaga | null> {
    const row = await tx.sagaInstance.findUnique({ where: { orderId } });
    if (!row) return null;
    const state = { ...(row.data as object), status: row.state } as SagaState;
    return { state, version: row.version, deadline: row.deadline };
  }

  /** Inserts version 0; a concurrent insert for the same order wins and this one is a conflict. */
  async create(tx: Tx, state: SagaState, deadline: Date): Promise<void> {
    const { count } = await tx.sagaInstance.createMany({
      data: [{ orderId: state.orderId, ...columns(state), deadline }],
      skipDuplicates: true,
    });
    if (count === 0) throw new VersionConflict(state.orderId);
  }

  /** Optimistic concurrency: writes only over the version that was read, and bumps it. */
  async update(tx: Tx, version: number, state: SagaState, deadline: Date): Promise<void> {
    const { count } = await tx.sagaInstance.updateMany({
      where: { orderId: state.orderId, version },
      data: { ...columns(state), deadline, version: { increment: 1 } },
    });
    if (count === 0) throw new VersionConflict(state.orderId);
  }

  async appendStep(tx: Tx, orderId: string, step: StepRecord): Promise<void> {
    await tx.sagaStep.create({ data: { orderId, ...step }, select: { id: true } });
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
}

function columns({ status, ...data }: SagaState) {
  return { state: status, data: data as unknown as Prisma.InputJsonValue };
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
