import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { PaymentRefunded } from '@passo/contracts';
import { ParticipantSteps, type StepCause } from '@passo/outbox';
import type { Prisma } from '@passo/prisma/payment';
import { PaymentsRepository } from './payments.repository';

/** What a refund needs; the orchestrator's RefundPayment command carries it. */
export type RefundRequest = Pick<PaymentRefunded, 'orderId' | 'sagaMode' | 'paymentId'>;

export class RefundPayment {
  constructor(
    readonly request: RefundRequest,
    readonly cause: StepCause,
  ) {}
}

/** Compensation of a charge: a COMPLETED payment's money goes back to the wallet, once (PaymentsRepository.refund). */
@CommandHandler(RefundPayment)
export class RefundPaymentHandler implements ICommandHandler<RefundPayment, void> {
  constructor(
    private readonly steps: ParticipantSteps<Prisma.TransactionClient>,
    private readonly payments: PaymentsRepository,
  ) {}

  async execute({ request: { orderId, sagaMode, paymentId }, cause }: RefundPayment): Promise<void> {
    await this.steps.run(cause, async (tx, emit) => {
      // The payment's status decides, not the message id: a re-sent refund (new id) finds it REFUNDED,
      // and an unknown or FAILED payment took no money, so there is nothing to give back nor to answer.
      const payment = await this.payments.refund(tx, paymentId, orderId);
      if (!payment) return;
      const { customerId, amountCents } = payment;
      await emit(PaymentRefunded, { orderId, sagaMode, paymentId, customerId, amountCents });
    });
  }
}
