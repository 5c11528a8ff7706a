import { z } from 'zod';
import { CentsSchema, ExternalIdSchema } from '../http/common';
import { defineEvent } from './contract';
import { SagaMessageBase } from './orders';

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
