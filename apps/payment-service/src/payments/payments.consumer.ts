import { Controller } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { Payload } from '@nestjs/microservices';
import {
  ChargePayment as ChargePaymentCommand,
  isChoreographed,
  RefundPayment as RefundPaymentCommand,
  StockReserved,
  type Envelope,
} from '@passo/contracts';
import { causeOf, OnMessage } from '@passo/outbox';
import { ChargePayment, type ChargeResult } from './charge-payment.handler';
import { RefundPayment } from './refund-payment.handler';

/** Messaging entry of the payments feature: which messages charge, and which refund. */
@Controller()
export class PaymentsConsumer {
  constructor(private readonly commands: CommandBus) {}

  @OnMessage(StockReserved, { only: isChoreographed })
  async onStockReserved(@Payload() message: Envelope<StockReserved>): Promise<void> {
    // An orchestrated order is charged on the orchestrator's command, never on the event itself.
    const charge = new ChargePayment(message.payload, causeOf(message, StockReserved));
    await this.commands.execute<ChargePayment, ChargeResult>(charge);
  }

  // Commands need no mode check: their schema admits only orchestrated orders (else: dead letter).

  @OnMessage(ChargePaymentCommand)
  async onChargePayment(@Payload() message: Envelope<ChargePaymentCommand>): Promise<void> {
    const charge = new ChargePayment(message.payload, causeOf(message, ChargePaymentCommand));
    await this.commands.execute<ChargePayment, ChargeResult>(charge);
  }

  @OnMessage(RefundPaymentCommand)
  async onRefundPayment(@Payload() message: Envelope<RefundPaymentCommand>): Promise<void> {
    await this.commands.execute(new RefundPayment(message.payload, causeOf(message, RefundPaymentCommand)));
  }
}
