import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { OrderCancelled } from '@passo/contracts';
import { ParticipantSteps, type StepCause } from '@passo/outbox';
import type { Prisma } from '@passo/prisma/order';
import { OrderSagaRepository } from './order-saga.repository';

/**
 * The saga failed: the order becomes CANCELLED with the reason, announced once. Commanded by the
 * orchestrator, or, in choreography, by StockReservationFailed or PaymentFailed.
 */
export class CancelOrder {
  constructor(
    /** What OrderCancelled announces. */
    readonly cancellation: OrderCancelled,
    readonly cause: StepCause,
  ) {}
}

@CommandHandler(CancelOrder)
export class CancelOrderHandler implements ICommandHandler<CancelOrder, void> {
  constructor(
    private readonly steps: ParticipantSteps<Prisma.TransactionClient>,
    private readonly orders: OrderSagaRepository,
  ) {}

  async execute({ cancellation, cause }: CancelOrder): Promise<void> {
    await this.steps.run(cause, async (tx, emit) => {
      // Only from PENDING: a stale or repeated outcome moves nothing and announces nothing.
      if (await this.orders.cancel(tx, cancellation)) await emit(OrderCancelled, cancellation);
    });
  }
}
