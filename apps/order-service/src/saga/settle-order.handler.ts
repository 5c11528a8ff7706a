import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { OrderCancelled, OrderConfirmed, type CancellationReason, type SagaMode } from '@passo/contracts';
import { InboxService, type MessageCause, MessageRejectedError, OutboxService } from '@passo/outbox';
import { OrderSagaRepository } from './order-saga.repository';

export const CONSUMER = 'order-service';

/** How the saga ended for the order, whoever decided it (a participant's event or the orchestrator). */
export type Decision = { kind: 'confirm'; totalCents: number } | { kind: 'cancel'; reason: CancellationReason };

export interface Settlement {
  orderId: string;
  sagaMode: SagaMode;
  decision: Decision;
}

/** The saga's outcome reaches the order: CONFIRMED or CANCELLED, announced once. */
export class SettleOrder {
  constructor(
    readonly settlement: Settlement,
    readonly cause: MessageCause,
  ) {}
}

@CommandHandler(SettleOrder)
export class SettleOrderHandler implements ICommandHandler<SettleOrder> {
  constructor(
    private readonly orders: OrderSagaRepository,
    private readonly inbox: InboxService,
    private readonly outbox: OutboxService,
  ) {}

  async execute({ settlement: { orderId, sagaMode, decision }, cause }: SettleOrder): Promise<void> {
    const meta = { correlationId: orderId, causationId: cause.id };
    await this.inbox.handle(this.orders.db, CONSUMER, cause, async (tx) => {
      // The order's stored mode says who decides its outcome: a command for a choreographed order
      // (or an event for an orchestrated one) is refused, with nothing changed (dead letter).
      const stored = await this.orders.sagaModeOf(tx, orderId);
      if (stored && stored !== sagaMode) {
        throw new MessageRejectedError(`order ${orderId} runs in ${stored}: a ${sagaMode} outcome cannot settle it`);
      }
      // Only from PENDING: a stale or repeated outcome moves nothing and announces nothing.
      if (decision.kind === 'confirm') {
        const { totalCents } = decision;
        if (await this.orders.confirm(tx, orderId, totalCents)) {
          await this.outbox.add(tx, OrderConfirmed, { orderId, sagaMode, totalCents }, meta);
        }
        return;
      }
      const { reason } = decision;
      if (await this.orders.cancel(tx, orderId, reason)) {
        await this.outbox.add(tx, OrderCancelled, { orderId, sagaMode, reason }, meta);
      }
    });
  }
}
