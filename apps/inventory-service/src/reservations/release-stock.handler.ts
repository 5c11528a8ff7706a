import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { type SagaMode, StockReleased } from '@passo/contracts';
import { InboxService, type MessageCause, OutboxService } from '@passo/outbox';
import { PrismaClient } from '@passo/prisma/inventory';
import { INBOX_CONSUMER } from './reservation';
import { ReservationsRepository } from './reservations.repository';

export class ReleaseStock {
  constructor(
    readonly orderId: string,
    readonly sagaMode: SagaMode,
    readonly cause: MessageCause,
  ) {}
}

/** Compensation: a reservation's stock goes back to `available`, once, and only while RESERVED. */
@CommandHandler(ReleaseStock)
export class ReleaseStockHandler implements ICommandHandler<ReleaseStock, void> {
  constructor(
    private readonly db: PrismaClient,
    private readonly inbox: InboxService,
    private readonly outbox: OutboxService,
    private readonly reservations: ReservationsRepository,
  ) {}

  async execute({ orderId, sagaMode, cause }: ReleaseStock): Promise<void> {
    await this.inbox.handle(this.db, INBOX_CONSUMER, cause, async (tx) => {
      // Cancelled before its OrderPlaced was handled: close the order's reservation, empty, so the
      // late OrderPlaced reserves nothing for a cancelled order.
      if (await this.reservations.claim(tx, orderId, 'RELEASED')) return;
      // Released already, or sold: nothing to give back (a release never undoes a sale).
      const lines = await this.reservations.settle(tx, orderId, 'RELEASED');
      if (!lines) return;
      const meta = { correlationId: orderId, causationId: cause.id };
      await this.outbox.add(tx, StockReleased, { orderId, sagaMode, lines }, meta);
    });
  }
}
