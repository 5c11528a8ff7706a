import { Controller } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { Payload } from '@nestjs/microservices';
import {
  CancelOrder as CancelOrderCommand,
  ConfirmOrder as ConfirmOrderCommand,
  isChoreographed,
  PaymentCompleted,
  PaymentFailed,
  StockReservationFailed,
  StockReserved,
  type Envelope,
  type MessageContract,
} from '@passo/contracts';
import { causeOf, OnMessage } from '@passo/outbox';
import { CancelOrder } from './cancel-order.handler';
import { ConfirmOrder } from './confirm-order.handler';
import { RecordPrices } from './record-prices.handler';

/**
 * The order's side of the saga, both ways: in choreography its participants' events settle it (an
 * orchestrated order's events are the orchestrator's to decide on), in orchestration the
 * orchestrator's commands. Both drive the same use cases, named after the commands.
 */
@Controller()
export class OrderSagaConsumer {
  constructor(private readonly commands: CommandBus) {}

  @OnMessage(StockReserved)
  async onStockReserved(@Payload() message: Envelope<StockReserved>): Promise<void> {
    await this.commands.execute(new RecordPrices(message.payload, causeOf(message, StockReserved)));
  }

  @OnMessage(PaymentCompleted, { only: isChoreographed })
  async onPaymentCompleted(@Payload() message: Envelope<PaymentCompleted>): Promise<void> {
    const { orderId, sagaMode, amountCents } = message.payload;
    const confirmation = { orderId, sagaMode, totalCents: amountCents };
    await this.commands.execute(new ConfirmOrder(confirmation, causeOf(message, PaymentCompleted)));
  }

  @OnMessage(StockReservationFailed, { only: isChoreographed })
  async onStockReservationFailed(@Payload() message: Envelope<StockReservationFailed>): Promise<void> {
    await this.cancel(message, StockReservationFailed);
  }

  @OnMessage(PaymentFailed, { only: isChoreographed })
  async onPaymentFailed(@Payload() message: Envelope<PaymentFailed>): Promise<void> {
    await this.cancel(message, PaymentFailed);
  }

  // Commands need no mode check: their schema admits only orchestrated orders (else: dead letter).

  @OnMessage(ConfirmOrderCommand)
  async onConfirmOrder(@Payload() message: Envelope<ConfirmOrderCommand>): Promise<void> {
    await this.commands.execute(new ConfirmOrder(message.payload, causeOf(message, ConfirmOrderCommand)));
  }

  @OnMessage(CancelOrderCommand)
  async onCancelOrder(@Payload() message: Envelope<CancelOrderCommand>): Promise<void> {
    await this.cancel(message, CancelOrderCommand);
  }

  /** Every cancelling message carries the reason the order is cancelled with. */
  private async cancel(message: Envelope<CancelOrder['cancellation']>, contract: MessageContract): Promise<void> {
    const { orderId, sagaMode, reason } = message.payload;
    await this.commands.execute(new CancelOrder({ orderId, sagaMode, reason }, causeOf(message, contract)));
  }
}
