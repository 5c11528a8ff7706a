import { Controller } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { Ctx, Payload } from '@nestjs/microservices';
import {
  CancelOrder,
  ConfirmOrder,
  PaymentCompleted,
  PaymentFailed,
  StockReservationFailed,
  StockReserved,
  type Envelope,
  type SagaMode,
} from '@passo/contracts';
import { JetStreamContext, OnMessage } from '@passo/outbox';
import { RecordPrices } from './record-prices.handler';
import { type Decision, SettleOrder } from './settle-order.handler';

type SagaMessage = Envelope<{ orderId: string; sagaMode: SagaMode }>;

/** In choreography the order listens to its participants' events (orchestrated orders: the orchestrator decides). */
const choreographed = (message: SagaMessage) => message.payload.sagaMode === 'choreography';

@Controller()
export class OrderSagaConsumer {
  constructor(private readonly commands: CommandBus) {}

  @OnMessage(StockReserved)
  async onStockReserved(@Payload() message: Envelope<StockReserved>, @Ctx() ctx: JetStreamContext) {
    await this.commands.execute(new RecordPrices(message, ctx.subject));
  }

  @OnMessage(PaymentCompleted)
  async onPaymentCompleted(@Payload() message: Envelope<PaymentCompleted>, @Ctx() ctx: JetStreamContext) {
    if (!choreographed(message)) return;
    await this.settle(message, { kind: 'confirm', totalCents: message.payload.amountCents }, ctx);
  }

  @OnMessage(StockReservationFailed)
  async onStockReservationFailed(@Payload() message: Envelope<StockReservationFailed>, @Ctx() ctx: JetStreamContext) {
    if (!choreographed(message)) return;
    await this.settle(message, { kind: 'cancel', reason: message.payload.reason }, ctx);
  }

  @OnMessage(PaymentFailed)
  async onPaymentFailed(@Payload() message: Envelope<PaymentFailed>, @Ctx() ctx: JetStreamContext) {
    if (!choreographed(message)) return;
    await this.settle(message, { kind: 'cancel', reason: message.payload.reason }, ctx);
  }

  // Commands need no mode check: their schema admits only orchestrated orders (else: dead letter).

  @OnMessage(ConfirmOrder)
  async onConfirmOrder(@Payload() message: Envelope<ConfirmOrder>, @Ctx() ctx: JetStreamContext) {
    await this.settle(message, { kind: 'confirm', totalCents: message.payload.totalCents }, ctx);
  }

  @OnMessage(CancelOrder)
  async onCancelOrder(@Payload() message: Envelope<CancelOrder>, @Ctx() ctx: JetStreamContext) {
    await this.settle(message, { kind: 'cancel', reason: message.payload.reason }, ctx);
  }

  private async settle(message: SagaMessage, decision: Decision, ctx: JetStreamContext): Promise<void> {
    const { orderId, sagaMode } = message.payload;
    await this.commands.execute(
      new SettleOrder({ orderId, sagaMode, decision }, { id: message.id, subject: ctx.subject }),
    );
  }
}
