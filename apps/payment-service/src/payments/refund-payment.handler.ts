import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { PaymentRefunded } from '@passo/contracts';
import { InboxService, type MessageCause, OutboxService } from '@passo/outbox';
import { PrismaClient } from '@passo/prisma/payment';
import { PaymentsRepository } from './payments.repository';

/** What a refund needs; the orchestrator's RefundPayment command carries it. */
export type RefundRequest = Pick<PaymentRefunded, 'orderId' | 'sagaMode' | 'paymentId'>;

export class RefundPayment {
  constructor(
    readonly request: RefundRequest,
    /** The message it runs for: its id is the inbox key and the causation id of PaymentRefunded. */
    readonly cause: MessageCause,
  ) {}
}

/** Compensation of a charge: a COMPLETED payment's money goes back to the wallet, once (PaymentsRepository.refund). */
@CommandHandler(RefundPayment)
export class RefundPaymentHandler implements ICommandHandler<RefundPayment, void> {
  constructor(
    private readonly db: PrismaClient,
    private readonly inbox: InboxService,
    private readonly outbox: OutboxService,
    private readonly payments: PaymentsRepository,
  ) {}

  async execute({ request: { orderId, sagaMode, paymentId }, cause }: RefundPayment): Promise<void> {
    await this.inbox.handle(this.db, 'payment-service', cause, async (tx) => {
      // The payment's status decides, not the message id: a re-sent refund (new id) finds it REFUNDED,
      // and an unknown or FAILED payment took no money, so there is nothing to give back nor to answer.
      const payment = await this.payments.refund(tx, paymentId, orderId);
      if (!payment) return;
      const { customerId, amountCents } = payment;
      const refunded = { orderId, sagaMode, paymentId, customerId, amountCents };
      await this.outbox.add(tx, PaymentRefunded, refunded, { correlationId: orderId, causationId: cause.id });
    });
  }
}
