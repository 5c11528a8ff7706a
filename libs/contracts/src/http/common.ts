import { z } from 'zod';

export const SAGA_MODES = ['choreography', 'orchestration'] as const;
export const SagaModeSchema = z.enum(SAGA_MODES);
export type SagaMode = z.infer<typeof SagaModeSchema>;

/** Money is integer cents; 2^31-1 keeps it inside PostgreSQL's integer. */
export const CentsSchema = z.number().int().min(0).max(2_147_483_647);

/** Identifiers chosen by clients (SKUs, customer ids): short, printable, URL-safe. */
export const ExternalIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'letters, digits and . _ : - only, starting with a letter or digit');

export const UuidSchema = z.uuid();

export const LimitSchema = z.coerce.number().int().min(1).max(500).default(50);
