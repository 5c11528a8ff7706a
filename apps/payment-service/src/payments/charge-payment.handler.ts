import { randomUUID } from 'node:crypto';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { PaymentCompleted, PaymentFailed, type StockReserved } from '@passo/contracts';
import { ParticipantSteps, type StepCause } from '@passo/outbox';
import type { PaymentStatus, Prisma } from '@passo/prisma/payment';
import { isDuplicatePayment, PaymentsRepository } from './payments.repository';

/** What a charge needs; StockReserved carries it (and so will the orchestrator's command). */
export type ChargeRequest = Pick<StockReserved, 'orderId' | 'sagaMode' | 'customerId' | 'amountCents'>;

export class ChargePayment {
  constructor(
    readonly request: ChargeRequest,
    readonly cause: StepCause,
  ) {}
}

/** The payment's status, or null when this order (or this very message) was already handled. */
export type ChargeResult = PaymentStatus | null;

@CommandHandler(ChargePayment)
export class ChargePaymentHandler implements ICommandHandler<ChargePayment, ChargeResult> {
  constructor(
    private readonly steps: ParticipantSteps<Prisma.TransactionClient>,
    private readonly payments: PaymentsRepository,
  ) {}

  async execute({
    request: { orderId, sagaMode, customerId, amountCents },
    cause,
  }: ChargePayment): Promise<ChargeResult> {
    try {
      const handled = await this.steps.run(cause, async (tx, emit) => {
        // The order's one payment row decides, not the message id: a re-sent StockReserved is a no-op.
        const payment = await this.payments.charge(tx, { id: randomUUID(), orderId, customerId, amountCents });
        if (!payment) {
          // The dual-write lab's `inbox: off` shows a consumer without dedup: it takes every delivery
          // for the first, and the redelivered charge debits the wallet again.
          if (!this.steps.dedups) await this.payments.debit(tx, customerId, amountCents);
          return null;
        }
        const { reason } = payment;
        const event = { orderId, sagaMode, paymentId: payment.id, customerId, amountCents };
        if (reason) await emit(PaymentFailed, { ...event, reason });
        else await emit(PaymentCompleted, event);
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
