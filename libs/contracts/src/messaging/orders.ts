import { z } from 'zod';
import { ExternalIdSchema, SagaModeSchema } from '../http/common';
import { defineEvent } from './contract';

export const OrderPlaced = defineEvent(
  'OrderPlaced',
  'orders.event.order-placed.v1',
  z.object({
    orderId: z.uuid(),
    customerId: ExternalIdSchema,
    items: z.array(z.object({ sku: ExternalIdSchema, quantity: z.number().int().min(1) })).min(1),
    sagaMode: SagaModeSchema,
  }),
);
export type OrderPlaced = z.infer<typeof OrderPlaced.schema>;
