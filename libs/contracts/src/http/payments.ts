import { z } from 'zod';
import { CentsSchema, LimitSchema, UuidSchema } from './common';

export const UpsertCustomerSchema = z.strictObject({ balanceCents: CentsSchema });
export type UpsertCustomerRequest = z.infer<typeof UpsertCustomerSchema>;

export const ListPaymentsQuerySchema = z.strictObject({
  orderId: UuidSchema.optional(),
  limit: LimitSchema,
});
export type ListPaymentsQuery = z.infer<typeof ListPaymentsQuerySchema>;

export interface CustomerView {
  id: string;
  balanceCents: number;
}

export interface PaymentView {
  id: string;
  orderId: string;
  customerId: string;
  amountCents: number;
  status: 'COMPLETED' | 'REFUNDED' | 'FAILED';
  reason: 'INSUFFICIENT_FUNDS' | 'UNKNOWN_CUSTOMER' | null;
  createdAt: string;
}
