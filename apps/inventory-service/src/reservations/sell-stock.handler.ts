import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { InboxService, type MessageCause } from '@passo/outbox';
import { PrismaClient } from '@passo/prisma/inventory';
import { INBOX_CONSUMER } from './reservation';
import { ReservationsRepository } from './reservations.repository';

export class SellStock {
  constructor(
    readonly orderId: string,
    readonly cause: MessageCause,
  ) {}
}

/** The order is paid: its reserved stock becomes sold. Nobody waits on this, so no event. */
@CommandHandler(SellStock)
export class SellStockHandler implements ICommandHandler<SellStock, void> {
  constructor(
    private readonly db: PrismaClient,
    private readonly inbox: InboxService,
    private readonly reservations: ReservationsRepository,
  ) {}

  async execute({ orderId, cause }: SellStock): Promise<void> {
    // Only from RESERVED: a repeated confirmation, or one after a release, moves nothing.
    await this.inbox.handle(this.db, INBOX_CONSUMER, cause, (tx) => this.reservations.settle(tx, orderId, 'SOLD'));
  }
}
