import { Controller } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { Payload } from '@nestjs/microservices';
import { StockReserved, type Envelope } from '@passo/contracts';
import { OnMessage } from '@passo/outbox';
import { ChargePayment, type ChargeResult } from './charge-payment.handler';

/** Messaging entry of the payments feature: which messages start a charge. */
@Controller()
export class PaymentsConsumer {
  constructor(private readonly commands: CommandBus) {}

  @OnMessage(StockReserved)
  async onStockReserved(@Payload() message: Envelope<StockReserved>): Promise<void> {
    // An orchestrated order is charged on the orchestrator's command, never on the event itself.
    if (message.payload.sagaMode !== 'choreography') return;
    await this.commands.execute<ChargePayment, ChargeResult>(new ChargePayment(message, StockReserved.subject));
  }
}
