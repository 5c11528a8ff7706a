import { z } from 'zod';
import { CentsSchema, ExternalIdSchema } from '../http/common';
import { defineCommand, defineEvent } from './contract';
import { OrchestratedCommandBase, SagaMessageBase } from './orders';

export const PaymentCompleted = defineEvent(
  'PaymentCompleted',
  'payments.event.payment-completed.v1',
  SagaMessageBase.extend({ paymentId: z.uuid(), customerId: ExternalIdSchema, amountCents: CentsSchema }),
);
export type PaymentCompleted = z.infer<typeof PaymentCompleted.schema>;

export const PaymentFailed = defineEvent(
  'PaymentFailed',
  'payments.event.payment-failed.v1',
  SagaMessageBase.extend({
    paymentId: z.uuid(),
    customerId: ExternalIdSchema,
    amountCents: CentsSchema,
    reason: z.enum(['INSUFFICIENT_FUNDS', 'UNKNOWN_CUSTOMER']),
  }),
);
export type PaymentFailed = z.infer<typeof PaymentFailed.schema>;

/** A completed payment given back to the wallet (compensation). */
export const PaymentRefunded = defineEvent(
  'PaymentRefunded',
  'payments.event.payment-refunded.v1',
  SagaMessageBase.extend({ paymentId: z.uuid(), customerId: ExternalIdSchema, amountCents: CentsSchema }),
);
export type PaymentRefunded = z.infer<typeof PaymentRefunded.schema>;

/** Orchestration: charge the wallet (answered by PaymentCompleted | PaymentFailed). */
export const ChargePayment = defineCommand(
  'ChargePayment',
  'payments.command.charge-payment.v1',
  OrchestratedCommandBase.extend({ customerId: ExternalIdSchema, amountCents: CentsSchema }),
);
export type ChargePayment = z.infer<typeof ChargePayment.schema>;

/** Orchestration, compensation of ChargePayment (answered by PaymentRefunded when it was completed). */
export const RefundPayment = defineCommand(
  'RefundPayment',
  'payments.command.refund-payment.v1',
  OrchestratedCommandBase.extend({ paymentId: z.uuid() }),
);
export type RefundPayment = z.infer<typeof RefundPayment.schema>;
