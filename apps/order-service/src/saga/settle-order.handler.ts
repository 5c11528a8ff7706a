import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import {
  OrderCancelled,
  OrderConfirmed,
  type CancellationReason,
  type Envelope,
  type PaymentCompleted,
  type SagaMode,
} from '@passo/contracts';
import { InboxService, OutboxService } from '@passo/outbox';
import { OrderSagaRepository } from './order-saga.repository';

export const CONSUMER = 'order-service';

export type Outcome =
  | { kind: 'confirm'; message: Envelope<PaymentCompleted> }
  | { kind: 'cancel'; message: Envelope<{ orderId: string; sagaMode: SagaMode; reason: CancellationReason }> };

/** The saga's outcome reaches the order: PaymentCompleted confirms it, a failure cancels it. */
export class SettleOrder {
  constructor(
    readonly outcome: Outcome,
    readonly subject: string,
  ) {}
}

@CommandHandler(SettleOrder)
export class SettleOrderHandler implements ICommandHandler<SettleOrder> {
  constructor(
    private readonly orders: OrderSagaRepository,
    private readonly inbox: InboxService,
    private readonly outbox: OutboxService,
  ) {}

  async execute({ outcome, subject }: SettleOrder): Promise<void> {
    const { message } = outcome;
    const { orderId, sagaMode } = message.payload;
    const meta = { correlationId: orderId, causationId: message.id };
    await this.inbox.handle(this.orders.db, CONSUMER, { id: message.id, subject }, async (tx) => {
      if (outcome.kind === 'confirm') {
        const { amountCents } = outcome.message.payload;
        if (await this.orders.confirm(tx, orderId, amountCents)) {
          await this.outbox.add(tx, OrderConfirmed, { orderId, sagaMode, totalCents: amountCents }, meta);
        }
        return;
      }
      const { reason } = outcome.message.payload;
      if (await this.orders.cancel(tx, orderId, reason)) {
        await this.outbox.add(tx, OrderCancelled, { orderId, sagaMode, reason }, meta);
      }
    });
  }
}
