import { Controller } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { Payload } from '@nestjs/microservices';
import {
  OrderCancelled,
  OrderConfirmed,
  OrderPlaced,
  PaymentCompleted,
  PaymentFailed,
  PaymentRefunded,
  StockReleased,
  StockReservationFailed,
  StockReserved,
  isOrchestrated,
  type Envelope,
  type MessageContract,
  type SagaMode,
} from '@passo/contracts';
import { causeOf, OnMessage } from '@passo/outbox';
import type { SagaMessage } from '../order-saga/order-saga.transition';
import { AdvanceSaga } from './advance-saga.handler';

type SagaEvent = Envelope<{ orderId: string; sagaMode: SagaMode }>;

/**
 * Events in, saga messages out: the only place that knows both vocabularies. Orchestrated orders
 * only: choreographed ones have no saga instance (their participants react to each other's events).
 */
@Controller()
export class SagasConsumer {
  constructor(private readonly commands: CommandBus) {}

  @OnMessage(OrderPlaced, { only: isOrchestrated })
  onOrderPlaced(@Payload() m: Envelope<OrderPlaced>) {
    const { orderId, customerId, items } = m.payload;
    return this.advance(m, OrderPlaced, { type: 'OrderPlaced', orderId, customerId, items });
  }

  @OnMessage(StockReserved, { only: isOrchestrated })
  onStockReserved(@Payload() m: Envelope<StockReserved>) {
    const { amountCents, lines } = m.payload;
    return this.advance(m, StockReserved, { type: 'StockReserved', amountCents, lines });
  }

  @OnMessage(StockReservationFailed, { only: isOrchestrated })
  onStockReservationFailed(@Payload() m: Envelope<StockReservationFailed>) {
    const { reason, sku } = m.payload;
    return this.advance(m, StockReservationFailed, { type: 'StockReservationFailed', reason, sku });
  }

  @OnMessage(StockReleased, { only: isOrchestrated })
  onStockReleased(@Payload() m: Envelope<StockReleased>) {
    return this.advance(m, StockReleased, { type: 'StockReleased' });
  }

  @OnMessage(PaymentCompleted, { only: isOrchestrated })
  onPaymentCompleted(@Payload() m: Envelope<PaymentCompleted>) {
    const { paymentId, amountCents } = m.payload;
    return this.advance(m, PaymentCompleted, { type: 'PaymentCompleted', paymentId, amountCents });
  }

  @OnMessage(PaymentFailed, { only: isOrchestrated })
  onPaymentFailed(@Payload() m: Envelope<PaymentFailed>) {
    return this.advance(m, PaymentFailed, { type: 'PaymentFailed', reason: m.payload.reason });
  }

  @OnMessage(PaymentRefunded, { only: isOrchestrated })
  onPaymentRefunded(@Payload() m: Envelope<PaymentRefunded>) {
    return this.advance(m, PaymentRefunded, { type: 'PaymentRefunded' });
  }

  @OnMessage(OrderConfirmed, { only: isOrchestrated })
  onOrderConfirmed(@Payload() m: Envelope<OrderConfirmed>) {
    return this.advance(m, OrderConfirmed, { type: 'OrderConfirmed' });
  }

  @OnMessage(OrderCancelled, { only: isOrchestrated })
  onOrderCancelled(@Payload() m: Envelope<OrderCancelled>) {
    return this.advance(m, OrderCancelled, { type: 'OrderCancelled' });
  }

  private async advance(event: SagaEvent, contract: MessageContract, message: SagaMessage): Promise<void> {
    await this.commands.execute(new AdvanceSaga(event.payload.orderId, message, causeOf(event, contract)));
  }
}
