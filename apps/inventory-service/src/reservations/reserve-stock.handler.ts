import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { type OrderPlaced, StockReservationFailed, StockReserved } from '@passo/contracts';
import { InboxService, type MessageCause, OutboxService } from '@passo/outbox';
import { type Prisma, PrismaClient } from '@passo/prisma/inventory';
import { amountOf, INBOX_CONSUMER, type PricedLine, stockLines } from './reservation';
import { type Refusal, ReservationsRepository } from './reservations.repository';

export class ReserveStock {
  constructor(
    readonly order: Pick<OrderPlaced, 'orderId' | 'sagaMode' | 'customerId' | 'items'>,
    readonly cause: MessageCause,
  ) {}
}

type Tx = Prisma.TransactionClient;

/** Thrown inside the reservation's transaction so that every line taken so far rolls back. */
class StockRefused extends Error {
  constructor(
    readonly reason: Refusal,
    readonly sku: string,
  ) {
    super(`${reason} ${sku}`);
  }
}

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
    try {
      await this.inbox.handle(this.db, INBOX_CONSUMER, cause, (tx) => this.reserve(tx, order, cause));
    } catch (error) {
      if (!(error instanceof StockRefused)) throw error;
      // Every line taken is rolled back by now; the refusal commits on its own, with the inbox record.
      await this.inbox.handle(this.db, INBOX_CONSUMER, cause, (tx) => this.refuse(tx, order, cause, error));
    }
  }

  private async reserve(tx: Tx, order: ReserveStock['order'], cause: MessageCause): Promise<void> {
    const { orderId, sagaMode, customerId } = order;
    // The order's row first: a duplicate (even under a new message id) finds it and does nothing,
    // and every use case locks in one order: the reservation, then products by sku.
    if (!(await this.reservations.claim(tx, orderId, 'RESERVED'))) return;
    const lines: PricedLine[] = [];
    for (const line of stockLines(order.items)) {
      const taken = await this.reservations.take(tx, line);
      if ('refused' in taken) throw new StockRefused(taken.refused, line.sku);
      lines.push({ ...line, priceCents: taken.priceCents });
    }
    const amountCents = amountOf(lines);
    await this.reservations.complete(tx, orderId, amountCents, lines);
    const reserved = { orderId, sagaMode, customerId, amountCents, lines };
    await this.outbox.add(tx, StockReserved, reserved, { correlationId: orderId, causationId: cause.id });
  }

  private async refuse(
    tx: Tx,
    { orderId, sagaMode }: ReserveStock['order'],
    cause: MessageCause,
    refusal: StockRefused,
  ): Promise<void> {
    // Kept as a closed, empty reservation: a re-sent OrderPlaced must not reserve later (after a
    // restock) for an order that is cancelled by then.
    if (!(await this.reservations.claim(tx, orderId, 'RELEASED'))) return;
    const failed = { orderId, sagaMode, reason: refusal.reason, sku: refusal.sku };
    await this.outbox.add(tx, StockReservationFailed, failed, { correlationId: orderId, causationId: cause.id });
  }
}
