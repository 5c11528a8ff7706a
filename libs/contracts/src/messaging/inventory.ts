import { z } from 'zod';
import { CentsSchema, ExternalIdSchema } from '../http/common';
import { defineCommand, defineEvent } from './contract';
import { MAX_ORDER_ITEMS, QuantitySchema } from '../http/orders';
import { OrchestratedCommandBase, SagaItemsSchema, SagaMessageBase } from './orders';

export const ReservedLineSchema = z.object({
  sku: ExternalIdSchema,
  quantity: QuantitySchema,
  priceCents: CentsSchema,
});

/** Every line reserved at the catalogue's prices; payment charges `amountCents` to `customerId`. */
export const StockReserved = defineEvent(
  'StockReserved',
  'inventory.event.stock-reserved.v1',
  SagaMessageBase.extend({
    customerId: ExternalIdSchema,
    amountCents: CentsSchema,
    lines: z.array(ReservedLineSchema).min(1).max(MAX_ORDER_ITEMS),
  }),
);
export type StockReserved = z.infer<typeof StockReserved.schema>;

/** Nothing was reserved: the first line that could not be (unknown or short). */
export const StockReservationFailed = defineEvent(
  'StockReservationFailed',
  'inventory.event.stock-reservation-failed.v1',
  SagaMessageBase.extend({ reason: z.enum(['OUT_OF_STOCK', 'UNKNOWN_SKU']), sku: ExternalIdSchema }),
);
export type StockReservationFailed = z.infer<typeof StockReservationFailed.schema>;

/** A reservation given back (compensation): `reserved` returned to `available`. */
export const StockReleased = defineEvent(
  'StockReleased',
  'inventory.event.stock-released.v1',
  SagaMessageBase.extend({ lines: z.array(ReservedLineSchema).max(MAX_ORDER_ITEMS) }),
);
export type StockReleased = z.infer<typeof StockReleased.schema>;

/** Orchestration: reserve every line or none (answered by StockReserved | StockReservationFailed). */
export const ReserveStock = defineCommand(
  'ReserveStock',
  'inventory.command.reserve-stock.v1',
  OrchestratedCommandBase.extend({ customerId: ExternalIdSchema, items: SagaItemsSchema }),
);
export type ReserveStock = z.infer<typeof ReserveStock.schema>;

/** Orchestration, compensation of ReserveStock (answered by StockReleased when there was stock to give back). */
export const ReleaseStock = defineCommand(
  'ReleaseStock',
  'inventory.command.release-stock.v1',
  OrchestratedCommandBase,
);
export type ReleaseStock = z.infer<typeof ReleaseStock.schema>;

/** Orchestration: the order is confirmed, its reserved stock becomes sold (no reply: nobody waits on it). */
export const SellStock = defineCommand('SellStock', 'inventory.command.sell-stock.v1', OrchestratedCommandBase);
export type SellStock = z.infer<typeof SellStock.schema>;
