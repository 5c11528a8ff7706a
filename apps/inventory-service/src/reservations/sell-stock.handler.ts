import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { ParticipantSteps, type StepCause } from '@passo/outbox';
import type { Prisma } from '@passo/prisma/inventory';
import { ReservationsRepository } from './reservations.repository';

export class SellStock {
  constructor(
    readonly orderId: string,
    readonly cause: StepCause,
  ) {}
}

/** The order is paid: its reserved stock becomes sold. Nobody waits on this, so no event. */
@CommandHandler(SellStock)
export class SellStockHandler implements ICommandHandler<SellStock, void> {
  constructor(
    private readonly steps: ParticipantSteps<Prisma.TransactionClient>,
    private readonly reservations: ReservationsRepository,
  ) {}

  async execute({ orderId, cause }: SellStock): Promise<void> {
    // Only from RESERVED: a repeated confirmation, or one after a release, moves nothing.
    await this.steps.run(cause, (tx) => this.reservations.settle(tx, orderId, 'SOLD'));
  }
}
