import { Controller } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { Payload } from '@nestjs/microservices';
import {
  ChargePayment as ChargePaymentCommand,
  RefundPayment as RefundPaymentCommand,
  StockReserved,
  type Envelope,
} from '@passo/contracts';
import { OnMessage } from '@passo/outbox';
import { ChargePayment, type ChargeResult } from './charge-payment.handler';
import { RefundPayment } from './refund-payment.handler';

/** Messaging entry of the payments feature: which messages charge, and which refund. */
@Controller()
export class PaymentsConsumer {
  constructor(private readonly commands: CommandBus) {}

  @OnMessage(StockReserved)
  async onStockReserved(@Payload() message: Envelope<StockReserved>): Promise<void> {
    // An orchestrated order is charged on the orchestrator's command, never on the event itself.
    if (message.payload.sagaMode !== 'choreography') return;
    await this.commands.execute<ChargePayment, ChargeResult>(new ChargePayment(message, StockReserved.subject));
  }

  // Commands need no mode check: their schema admits only orchestrated orders (else: dead letter).

  @OnMessage(ChargePaymentCommand)
  async onChargePayment(@Payload() message: Envelope<ChargePaymentCommand>): Promise<void> {
    await this.commands.execute<ChargePayment, ChargeResult>(new ChargePayment(message, ChargePaymentCommand.subject));
  }

  @OnMessage(RefundPaymentCommand)
  async onRefundPayment(@Payload() message: Envelope<RefundPaymentCommand>): Promise<void> {
    const cause = { id: message.id, subject: RefundPaymentCommand.subject };
    await this.commands.execute(new RefundPayment(message.payload, cause));
  }
}
