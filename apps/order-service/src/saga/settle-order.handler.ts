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
      const to =
        decision.kind === 'confirm'
          ? ({ status: 'CONFIRMED', totalCents: decision.totalCents } as const)
          : ({ status: 'CANCELLED', reason: decision.reason } as const);
      // Only from PENDING: a stale or repeated outcome moves nothing and announces nothing.
      const { stored, moved } = await this.orders.settle(tx, orderId, sagaMode, to);
      // The order's stored mode says who decides its outcome: a command for a choreographed order
      // (or an event for an orchestrated one) is refused, with nothing changed (dead letter).
      if (stored && stored !== sagaMode) {
        throw new MessageRejectedError(`order ${orderId} runs in ${stored}: a ${sagaMode} outcome cannot settle it`);
      }
      if (!moved) return;
      if (to.status === 'CONFIRMED') {
        await this.outbox.add(tx, OrderConfirmed, { orderId, sagaMode, totalCents: to.totalCents }, meta);
      } else {
        await this.outbox.add(tx, OrderCancelled, { orderId, sagaMode, reason: to.reason }, meta);
      }
    });
  }
}
