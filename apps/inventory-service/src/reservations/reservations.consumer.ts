import { Controller } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { Payload } from '@nestjs/microservices';
import { type Envelope, OrderCancelled, OrderConfirmed, OrderPlaced, PaymentFailed } from '@passo/contracts';
import { OnMessage } from '@passo/outbox';
import { ReleaseStock } from './release-stock.handler';
import { ReserveStock } from './reserve-stock.handler';
import { causeOf, isChoreographed } from './reservation';
import { SellStock } from './sell-stock.handler';

/**
 * Choreography: inventory reacts to the saga's events. The use cases themselves know nothing of
 * the mode, so the orchestrator's commands can drive the same ones.
 */
@Controller()
export class ReservationsConsumer {
  constructor(private readonly commands: CommandBus) {}

  @OnMessage(OrderPlaced)
  async onOrderPlaced(@Payload() message: Envelope<OrderPlaced>): Promise<void> {
    if (!isChoreographed(message)) return;
    await this.commands.execute(new ReserveStock(message.payload, causeOf(message, OrderPlaced)));
  }

  @OnMessage(PaymentFailed)
  async onPaymentFailed(@Payload() message: Envelope<PaymentFailed>): Promise<void> {
    if (!isChoreographed(message)) return;
    const { orderId, sagaMode } = message.payload;
    await this.commands.execute(new ReleaseStock(orderId, sagaMode, causeOf(message, PaymentFailed)));
  }

  @OnMessage(OrderCancelled)
  async onOrderCancelled(@Payload() message: Envelope<OrderCancelled>): Promise<void> {
    if (!isChoreographed(message)) return;
    const { orderId, sagaMode } = message.payload;
    await this.commands.execute(new ReleaseStock(orderId, sagaMode, causeOf(message, OrderCancelled)));
  }

  @OnMessage(OrderConfirmed)
  async onOrderConfirmed(@Payload() message: Envelope<OrderConfirmed>): Promise<void> {
    if (!isChoreographed(message)) return;
    await this.commands.execute(new SellStock(message.payload.orderId, causeOf(message, OrderConfirmed)));
  }
}
