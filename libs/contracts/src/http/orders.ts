import { z } from 'zod';
import { ExternalIdSchema, LimitSchema, SagaModeSchema, type SagaMode } from './common';

export const ORDER_STATUSES = ['PENDING', 'CONFIRMED', 'CANCELLED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const CANCELLATION_REASONS = [
  'OUT_OF_STOCK',
  'UNKNOWN_SKU',
  'INSUFFICIENT_FUNDS',
  'UNKNOWN_CUSTOMER',
  'TIMEOUT',
] as const;
export type CancellationReason = (typeof CANCELLATION_REASONS)[number];

/** The most lines one order may have: also bounds every saga message that carries them. */
export const MAX_ORDER_ITEMS = 50;

/** Units of one SKU in one order (HTTP body and saga messages alike). */
export const QuantitySchema = z.number().int().min(1).max(10_000);

export const OrderItemSchema = z.strictObject({
  sku: ExternalIdSchema,
  quantity: QuantitySchema,
});

export const PlaceOrderSchema = z
  .strictObject({
    customerId: ExternalIdSchema,
    items: z.array(OrderItemSchema).min(1).max(MAX_ORDER_ITEMS),
    sagaMode: SagaModeSchema.optional(),
  })
  .superRefine((order, ctx) => {
    const seen = new Set<string>();
    order.items.forEach((item, index) => {
      if (seen.has(item.sku)) {
        ctx.addIssue({ code: 'custom', path: ['items', index, 'sku'], message: `duplicate sku ${item.sku}` });
      }
      seen.add(item.sku);
    });
  });
export type PlaceOrderRequest = z.infer<typeof PlaceOrderSchema>;

export const ListOrdersQuerySchema = z.strictObject({
  status: z.enum(ORDER_STATUSES).optional(),
  limit: LimitSchema,
});
export type ListOrdersQuery = z.infer<typeof ListOrdersQuerySchema>;

/** Printable ASCII, like the IETF draft's examples (UUIDs, ULIDs, client-made strings). */
export const IdempotencyKeySchema = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');

export const SagaModeBodySchema = z.strictObject({ mode: SagaModeSchema });

export interface OrderItemView {
  sku: string;
  quantity: number;
  priceCents: number | null;
}

export interface OrderView {
  id: string;
  customerId: string;
  items: OrderItemView[];
  status: OrderStatus;
  sagaMode: SagaMode;
  totalCents: number | null;
  cancellationReason: CancellationReason | null;
  createdAt: string;
  updatedAt: string;
}
