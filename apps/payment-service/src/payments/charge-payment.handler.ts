import { randomUUID } from 'node:crypto';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { PaymentCompleted, PaymentFailed, type Envelope, type StockReserved } from '@passo/contracts';
import { InboxService, OutboxService } from '@passo/outbox';
import { PrismaClient, type PaymentStatus } from '@passo/prisma/payment';
import { isDuplicatePayment, PaymentsRepository } from './payments.repository';

/** What a charge needs; StockReserved carries it (and so will the orchestrator's command). */
export type ChargeRequest = Pick<StockReserved, 'orderId' | 'sagaMode' | 'customerId' | 'amountCents'>;

export class ChargePayment {
  constructor(
    readonly message: Envelope<ChargeRequest>,
    /** The contract subject it came on: recorded with the inbox entry. */
    readonly subject: string,
  ) {}
}

/** The payment's status, or null when this order (or this very message) was already handled. */
export type ChargeResult = PaymentStatus | null;

@CommandHandler(ChargePayment)
export class ChargePaymentHandler implements ICommandHandler<ChargePayment, ChargeResult> {
  constructor(
    private readonly db: PrismaClient,
    private readonly inbox: InboxService,
    private readonly outbox: OutboxService,
    private readonly payments: PaymentsRepository,
  ) {}

  async execute({ message, subject }: ChargePayment): Promise<ChargeResult> {
    const { orderId, sagaMode, customerId, amountCents } = message.payload;
    const meta = { correlationId: orderId, causationId: message.id, traceparent: message.traceparent };
    try {
      const handled = await this.inbox.handle(this.db, 'payment-service', { id: message.id, subject }, async (tx) => {
        // The order's one payment row decides, not the message id: a re-sent StockReserved is a no-op.
        const payment = await this.payments.charge(tx, { id: randomUUID(), orderId, customerId, amountCents });
        if (!payment) {
          // The dual-write lab's `inbox: off` shows a consumer without dedup: it takes every delivery
          // for the first, and the redelivered charge debits the wallet again.
          if (!this.inbox.dedups) await this.payments.debit(tx, customerId, amountCents);
          return null;
        }
        const { reason } = payment;
        const event = { orderId, sagaMode, paymentId: payment.id, customerId, amountCents };
        if (reason) await this.outbox.add(tx, PaymentFailed, { ...event, reason }, meta);
        else await this.outbox.add(tx, PaymentCompleted, event, meta);
        return payment.status;
      });
      return handled.duplicate ? null : handled.result;
    } catch (error) {
      // A concurrent duplicate committed this order's payment first; ours rolled back whole, debit included.
      if (isDuplicatePayment(error)) return null;
      throw error;
    }
  }
}
