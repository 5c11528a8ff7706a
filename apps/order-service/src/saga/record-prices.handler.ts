import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { StockReserved } from '@passo/contracts';
import { ParticipantSteps, type StepCause } from '@passo/outbox';
import type { Prisma } from '@passo/prisma/order';
import { OrderSagaRepository } from './order-saga.repository';

/** StockReserved prices the order (totalCents, each line's price) as the inventory charged it. */
export class RecordPrices {
  constructor(
    readonly reservation: Pick<StockReserved, 'orderId' | 'amountCents' | 'lines'>,
    readonly cause: StepCause,
  ) {}
}

@CommandHandler(RecordPrices)
export class RecordPricesHandler implements ICommandHandler<RecordPrices> {
  constructor(
    private readonly steps: ParticipantSteps<Prisma.TransactionClient>,
    private readonly orders: OrderSagaRepository,
  ) {}

  async execute({ reservation: { orderId, amountCents, lines }, cause }: RecordPrices): Promise<void> {
    const prices = new Map(lines.map((line) => [line.sku, line.priceCents]));
    await this.steps.run(cause, (tx) => this.orders.recordPrices(tx, orderId, amountCents, prices));
  }
}
