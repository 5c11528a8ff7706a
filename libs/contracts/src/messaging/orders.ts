import { z } from 'zod';
import { CentsSchema, ExternalIdSchema, type SagaMode, SagaModeSchema } from '../http/common';
import { MAX_ORDER_ITEMS, QuantitySchema } from '../http/orders';
import { defineCommand, defineEvent } from './contract';
import type { Envelope } from './envelope';

/** Every saga message carries the order's mode: participants act only on their own model's orders. */
export const SagaMessageBase = z.object({ orderId: z.uuid(), sagaMode: SagaModeSchema });

/**
 * Whether a saga event is the choreography's to act on: an orchestrated order's events are the
 * orchestrator's, which commands its participants. The mode was fixed at placement and travels
 * with every message of the saga.
 */
export function isChoreographed(message: Envelope<{ sagaMode: SagaMode }>): boolean {
  return message.payload.sagaMode === 'choreography';
}

/** Whether a saga event is the orchestrator's to act on (see isChoreographed). */
export function isOrchestrated(message: Envelope<{ sagaMode: SagaMode }>): boolean {
  return message.payload.sagaMode === 'orchestration';
}

/**
 * Commands come only from the orchestrator, so only for orchestrated orders: a command for a
 * choreographed order is a bug, refused by the schema (dead letter with its reason), never acted on.
 */
export const OrchestratedCommandBase = z.object({ orderId: z.uuid(), sagaMode: z.literal('orchestration') });

// Bounded as the HTTP body is: a message cannot smuggle in more work than a request may ask for
// (a ReserveStock of 10,000 lines would be 10,000 row-locking UPDATEs in one transaction).
export const SagaItemSchema = z.object({ sku: ExternalIdSchema, quantity: QuantitySchema });
export const SagaItemsSchema = z.array(SagaItemSchema).min(1).max(MAX_ORDER_ITEMS);

export const OrderPlaced = defineEvent(
  'OrderPlaced',
  'orders.event.order-placed.v1',
  SagaMessageBase.extend({
    customerId: ExternalIdSchema,
    items: SagaItemsSchema,
  }),
);
export type OrderPlaced = z.infer<typeof OrderPlaced.schema>;

export const OrderConfirmed = defineEvent(
  'OrderConfirmed',
  'orders.event.order-confirmed.v1',
  SagaMessageBase.extend({ totalCents: CentsSchema }),
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
  OrchestratedCommandBase.extend({ totalCents: CentsSchema }),
);
export type ConfirmOrder = z.infer<typeof ConfirmOrder.schema>;

/** Orchestration: the saga failed or timed out; the order becomes CANCELLED (answered by OrderCancelled). */
export const CancelOrder = defineCommand(
  'CancelOrder',
  'orders.command.cancel-order.v1',
  OrchestratedCommandBase.extend({ reason: OrderCancelReasonSchema }),
);
export type CancelOrder = z.infer<typeof CancelOrder.schema>;
