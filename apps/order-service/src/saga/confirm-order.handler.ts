import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { OrderConfirmed } from '@passo/contracts';
import { ParticipantSteps, type StepCause } from '@passo/outbox';
import type { Prisma } from '@passo/prisma/order';
import { OrderSagaRepository } from './order-saga.repository';

/**
 * The saga succeeded: the order becomes CONFIRMED with its total, announced once. Commanded by the
 * orchestrator, or, in choreography, by PaymentCompleted.
 */
export class ConfirmOrder {
  constructor(
    /** What OrderConfirmed announces. */
    readonly confirmation: OrderConfirmed,
    readonly cause: StepCause,
  ) {}
}

@CommandHandler(ConfirmOrder)
export class ConfirmOrderHandler implements ICommandHandler<ConfirmOrder, void> {
  constructor(
    private readonly steps: ParticipantSteps<Prisma.TransactionClient>,
    private readonly orders: OrderSagaRepository,
  ) {}

  async execute({ confirmation, cause }: ConfirmOrder): Promise<void> {
    await this.steps.run(cause, async (tx, emit) => {
      // Only from PENDING: a stale or repeated outcome moves nothing and announces nothing.
      if (await this.orders.confirm(tx, confirmation)) await emit(OrderConfirmed, confirmation);
    });
  }
}
