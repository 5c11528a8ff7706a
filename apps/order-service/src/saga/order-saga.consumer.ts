import { Controller } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { Ctx, Payload } from '@nestjs/microservices';
import {
  PaymentCompleted,
  PaymentFailed,
  StockReservationFailed,
  StockReserved,
  type Envelope,
  type SagaMode,
} from '@passo/contracts';
import { JetStreamContext, OnMessage } from '@passo/outbox';
import { RecordPrices } from './record-prices.handler';
import { SettleOrder } from './settle-order.handler';

/** In choreography the order listens to its participants' events (orchestrated orders: the orchestrator decides). */
const choreographed = (message: Envelope<{ sagaMode: SagaMode }>) => message.payload.sagaMode === 'choreography';

@Controller()
export class OrderSagaConsumer {
  constructor(private readonly commands: CommandBus) {}

  @OnMessage(StockReserved)
  async onStockReserved(@Payload() message: Envelope<StockReserved>, @Ctx() ctx: JetStreamContext) {
    await this.commands.execute(new RecordPrices(message, ctx.subject));
  }

  @OnMessage(PaymentCompleted)
  async onPaymentCompleted(@Payload() message: Envelope<PaymentCompleted>, @Ctx() ctx: JetStreamContext) {
    if (choreographed(message)) await this.commands.execute(new SettleOrder({ kind: 'confirm', message }, ctx.subject));
  }

  @OnMessage(StockReservationFailed)
  async onStockReservationFailed(@Payload() message: Envelope<StockReservationFailed>, @Ctx() ctx: JetStreamContext) {
    if (choreographed(message)) await this.commands.execute(new SettleOrder({ kind: 'cancel', message }, ctx.subject));
  }

  @OnMessage(PaymentFailed)
  async onPaymentFailed(@Payload() message: Envelope<PaymentFailed>, @Ctx() ctx: JetStreamContext) {
    if (choreographed(message)) await this.commands.execute(new SettleOrder({ kind: 'cancel', message }, ctx.subject));
  }
}
