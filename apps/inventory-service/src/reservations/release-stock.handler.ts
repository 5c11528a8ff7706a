import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { type SagaMode, StockReleased } from '@passo/contracts';
import { ParticipantSteps, type StepCause } from '@passo/outbox';
import type { Prisma } from '@passo/prisma/inventory';
import { ReservationsRepository } from './reservations.repository';

export class ReleaseStock {
  constructor(
    readonly orderId: string,
    readonly sagaMode: SagaMode,
    readonly cause: StepCause,
  ) {}
}

/** Compensation: a reservation's stock goes back to `available`, once, and only while RESERVED. */
@CommandHandler(ReleaseStock)
export class ReleaseStockHandler implements ICommandHandler<ReleaseStock, void> {
  constructor(
    private readonly steps: ParticipantSteps<Prisma.TransactionClient>,
    private readonly reservations: ReservationsRepository,
  ) {}

  async execute({ orderId, sagaMode, cause }: ReleaseStock): Promise<void> {
    await this.steps.run(cause, async (tx, emit) => {
      // Cancelled before its OrderPlaced was handled: close the order's reservation, empty, so the
      // late OrderPlaced reserves nothing for a cancelled order.
      if (await this.reservations.claim(tx, orderId, 'RELEASED')) return;
      // Released already, or sold: nothing to give back (a release never undoes a sale).
      const lines = await this.reservations.settle(tx, orderId, 'RELEASED');
      if (!lines) return;
      await emit(StockReleased, { orderId, sagaMode, lines });
    });
  }
}
