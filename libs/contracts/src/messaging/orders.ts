import { z } from 'zod';
import { ExternalIdSchema, SagaModeSchema } from '../http/common';
import { defineEvent } from './contract';

/** Every saga message carries the order's mode: participants act only on their own model's orders. */
export const SagaMessageBase = z.object({ orderId: z.uuid(), sagaMode: SagaModeSchema });

export const OrderPlaced = defineEvent(
  'OrderPlaced',
  'orders.event.order-placed.v1',
  SagaMessageBase.extend({
    customerId: ExternalIdSchema,
    items: z.array(z.object({ sku: ExternalIdSchema, quantity: z.number().int().min(1) })).min(1),
  }),
);
export type OrderPlaced = z.infer<typeof OrderPlaced.schema>;

export const OrderConfirmed = defineEvent(
  'OrderConfirmed',
  'orders.event.order-confirmed.v1',
  SagaMessageBase.extend({ totalCents: z.number().int().min(0) }),
);
export type OrderConfirmed = z.infer<typeof OrderConfirmed.schema>;

export const OrderCancelReasonSchema = z.enum([
  'OUT_OF_STOCK',
  'UNKNOWN_SKU',
  'INSUFFICIENT_FUNDS',
  'UNKNOWN_CUSTOMER',
  'TIMEOUT',
]);

export const OrderCancelled = defineEvent(
  'OrderCancelled',
  'orders.event.order-cancelled.v1',
  SagaMessageBase.extend({ reason: OrderCancelReasonSchema }),
);
export type OrderCancelled = z.infer<typeof OrderCancelled.schema>;
