import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { type OrderPlaced, StockReservationFailed, StockReserved } from '@passo/contracts';
import { InboxService, type MessageCause, OutboxService } from '@passo/outbox';
import { type Prisma, PrismaClient } from '@passo/prisma/inventory';
import { amountOf, INBOX_CONSUMER, priceLines, stockLines } from './reservation';
import { ReservationsRepository } from './reservations.repository';

export class ReserveStock {
  constructor(
    readonly order: Pick<OrderPlaced, 'orderId' | 'sagaMode' | 'customerId' | 'items'>,
    readonly cause: MessageCause,
  ) {}
}

type Tx = Prisma.TransactionClient;

/** Every line or none, at the catalogue's prices; one reservation per order, whatever is re-sent. */
@CommandHandler(ReserveStock)
export class ReserveStockHandler implements ICommandHandler<ReserveStock, void> {
  constructor(
    private readonly db: PrismaClient,
    private readonly inbox: InboxService,
    private readonly outbox: OutboxService,
    private readonly reservations: ReservationsRepository,
  ) {}

  async execute({ order, cause }: ReserveStock): Promise<void> {
    await this.inbox.handle(this.db, INBOX_CONSUMER, cause, (tx) => this.reserve(tx, order, cause));
  }

  private async reserve(tx: Tx, order: ReserveStock['order'], cause: MessageCause): Promise<void> {
    const { orderId, sagaMode, customerId } = order;
    const meta = { correlationId: orderId, causationId: cause.id };
    const lines = stockLines(order.items);
    // Checked under the products' locks, before anything is written: a refusal has nothing to undo.
    const outcome = priceLines(
      lines,
      await this.reservations.lockStock(
        tx,
        lines.map((line) => line.sku),
      ),
    );
    if ('refused' in outcome) {
      // Kept as a closed, empty reservation: a re-sent OrderPlaced must not reserve later (after a
      // restock) for an order that is cancelled by then.
      if (!(await this.reservations.claim(tx, orderId, 'RELEASED'))) return;
      const failed = { orderId, sagaMode, reason: outcome.refused, sku: outcome.sku };
      await this.outbox.add(tx, StockReservationFailed, failed, meta);
      return;
    }
    const amountCents = amountOf(outcome.lines);
    // The order's one reservation decides: a duplicate (even under a new message id) does nothing.
    if (!(await this.reservations.reserve(tx, orderId, amountCents, outcome.lines))) return;
    const reserved = { orderId, sagaMode, customerId, amountCents, lines: outcome.lines };
    await this.outbox.add(tx, StockReserved, reserved, meta);
  }
}
