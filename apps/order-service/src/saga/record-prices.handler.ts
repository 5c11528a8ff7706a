import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { Envelope, StockReserved } from '@passo/contracts';
import { InboxService } from '@passo/outbox';
import { OrderSagaRepository } from './order-saga.repository';
import { CONSUMER } from './settle-order.handler';

/** StockReserved prices the order (totalCents, each line's price) as the inventory charged it. */
export class RecordPrices {
  constructor(
    readonly message: Envelope<StockReserved>,
    readonly subject: string,
  ) {}
}

@CommandHandler(RecordPrices)
export class RecordPricesHandler implements ICommandHandler<RecordPrices> {
  constructor(
    private readonly orders: OrderSagaRepository,
    private readonly inbox: InboxService,
  ) {}

  async execute({ message, subject }: RecordPrices): Promise<void> {
    const { orderId, amountCents, lines } = message.payload;
    const prices = new Map(lines.map((line) => [line.sku, line.priceCents]));
    await this.inbox.handle(this.orders.db, CONSUMER, { id: message.id, subject }, (tx) =>
      this.orders.recordPrices(tx, orderId, amountCents, prices),
    );
  }
}
