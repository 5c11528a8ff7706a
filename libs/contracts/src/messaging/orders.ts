import { z } from 'zod';
import { ExternalIdSchema, SagaModeSchema } from '../http/common';
import { defineCommand, defineEvent } from './contract';

/** Every saga message carries the order's mode: participants act only on their own model's orders. */
export const SagaMessageBase = z.object({ orderId: z.uuid(), sagaMode: SagaModeSchema });

/**
 * Commands come only from the orchestrator, so only for orchestrated orders: a command for a
 * choreographed order is a bug, refused by the schema (dead letter with its reason), never acted on.
 */
export const OrchestratedCommandBase = z.object({ orderId: z.uuid(), sagaMode: z.literal('orchestration') });

export const SagaItemSchema = z.object({ sku: ExternalIdSchema, quantity: z.number().int().min(1) });

export const OrderPlaced = defineEvent(
  'OrderPlaced',
  'orders.event.order-placed.v1',
  SagaMessageBase.extend({
    customerId: ExternalIdSchema,
    items: z.array(SagaItemSchema).min(1),
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

/** Orchestration, the pivot: payment is taken, the order becomes CONFIRMED (answered by OrderConfirmed). */
export const ConfirmOrder = defineCommand(
  'ConfirmOrder',
  'orders.command.confirm-order.v1',
  OrchestratedCommandBase.extend({ totalCents: z.number().int().min(0) }),
);
export type ConfirmOrder = z.infer<typeof ConfirmOrder.schema>;

/** Orchestration: the saga failed or timed out; the order becomes CANCELLED (answered by OrderCancelled). */
export const CancelOrder = defineCommand(
  'CancelOrder',
  'orders.command.cancel-order.v1',
  OrchestratedCommandBase.extend({ reason: OrderCancelReasonSchema }),
);
export type CancelOrder = z.infer<typeof CancelOrder.schema>;
