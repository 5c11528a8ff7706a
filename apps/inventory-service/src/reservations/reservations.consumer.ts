import { Controller } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { Payload } from '@nestjs/microservices';
import {
  type Envelope,
  isChoreographed,
  OrderCancelled,
  OrderConfirmed,
  OrderPlaced,
  PaymentFailed,
  ReleaseStock as ReleaseStockCommand,
  ReserveStock as ReserveStockCommand,
  SellStock as SellStockCommand,
} from '@passo/contracts';
import { causeOf, OnMessage } from '@passo/outbox';
import { ReleaseStock } from './release-stock.handler';
import { ReserveStock } from './reserve-stock.handler';
import { SellStock } from './sell-stock.handler';

/**
 * Inventory's side of the saga, both ways: in choreography it reacts to the saga's events, in
 * orchestration to the orchestrator's commands. Both drive the same mode-agnostic use cases, so
 * the two models cannot drift apart in what a reservation does.
 */
@Controller()
export class ReservationsConsumer {
  constructor(private readonly commands: CommandBus) {}

  @OnMessage(OrderPlaced, { only: isChoreographed })
  async onOrderPlaced(@Payload() message: Envelope<OrderPlaced>): Promise<void> {
    await this.commands.execute(new ReserveStock(message.payload, causeOf(message, OrderPlaced)));
  }

  @OnMessage(PaymentFailed, { only: isChoreographed })
  async onPaymentFailed(@Payload() message: Envelope<PaymentFailed>): Promise<void> {
    const { orderId, sagaMode } = message.payload;
    await this.commands.execute(new ReleaseStock(orderId, sagaMode, causeOf(message, PaymentFailed)));
  }

  @OnMessage(OrderCancelled, { only: isChoreographed })
  async onOrderCancelled(@Payload() message: Envelope<OrderCancelled>): Promise<void> {
    const { orderId, sagaMode } = message.payload;
    await this.commands.execute(new ReleaseStock(orderId, sagaMode, causeOf(message, OrderCancelled)));
  }

  @OnMessage(OrderConfirmed, { only: isChoreographed })
  async onOrderConfirmed(@Payload() message: Envelope<OrderConfirmed>): Promise<void> {
    await this.commands.execute(new SellStock(message.payload.orderId, causeOf(message, OrderConfirmed)));
  }

  // Commands need no mode check: their schema admits only orchestrated orders (else: dead letter).

  @OnMessage(ReserveStockCommand)
  async onReserveStock(@Payload() message: Envelope<ReserveStockCommand>): Promise<void> {
    await this.commands.execute(new ReserveStock(message.payload, causeOf(message, ReserveStockCommand)));
  }

  @OnMessage(ReleaseStockCommand)
  async onReleaseStock(@Payload() message: Envelope<ReleaseStockCommand>): Promise<void> {
    const { orderId, sagaMode } = message.payload;
    await this.commands.execute(new ReleaseStock(orderId, sagaMode, causeOf(message, ReleaseStockCommand)));
  }

  @OnMessage(SellStockCommand)
  async onSellStock(@Payload() message: Envelope<SellStockCommand>): Promise<void> {
    await this.commands.execute(new SellStock(message.payload.orderId, causeOf(message, SellStockCommand)));
  }
}
