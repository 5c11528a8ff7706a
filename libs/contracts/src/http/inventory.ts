import { z } from 'zod';
import { CentsSchema } from './common';

export const UpsertProductSchema = z.strictObject({
  priceCents: CentsSchema,
  available: z.number().int().min(0).max(2_147_483_647),
});
export type UpsertProductRequest = z.infer<typeof UpsertProductSchema>;

export interface ProductView {
  sku: string;
  priceCents: number;
  available: number;
  reserved: number;
  sold: number;
}
