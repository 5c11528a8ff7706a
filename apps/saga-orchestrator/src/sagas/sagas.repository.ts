import { Injectable } from '@nestjs/common';
import type { SagaView } from '@passo/contracts';
import { Prisma, PrismaClient } from '@passo/prisma/orchestrator';

const withSteps = { steps: { orderBy: { id: 'asc' } } } as const;
type SagaWithSteps = Prisma.SagaInstanceGetPayload<{ include: typeof withSteps }>;

@Injectable()
export class SagasRepository {
  constructor(private readonly db: PrismaClient) {}

  find(orderId: string): Promise<SagaWithSteps | null> {
    return this.db.sagaInstance.findUnique({ where: { orderId }, include: withSteps });
  }
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
