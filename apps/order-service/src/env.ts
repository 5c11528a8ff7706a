import { SagaModeSchema } from '@passo/contracts';
import { appEnvSchema } from '@passo/platform';
import { z } from 'zod';

export const orderServiceEnv = appEnvSchema('ORDER_DATABASE_URL', 3001).extend({
  /** Default saga mode for new orders until PUT /saga-mode overrides it. */
  SAGA_MODE: SagaModeSchema.default('choreography'),
  /** A saga still PENDING this long after placement is reported as stuck (the orchestrator's deadline too). */
  SAGA_DEADLINE_MS: z.coerce.number().int().min(1_000).max(86_400_000).default(30_000),
  /** An orchestrated order is reported this much later: the time the orchestrator's CancelOrder takes to arrive. */
  SAGA_STUCK_GRACE_MS: z.coerce.number().int().min(0).max(3_600_000).default(10_000),
  /** How often the stuck-saga audit looks (one indexed query per run). */
  SAGA_AUDIT_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(5_000),
  /** Most concurrent POST /orders written by one statement (1: each request writes alone). */
  PLACEMENT_BATCH_SIZE: z.coerce.number().int().min(1).max(1_000).default(64),
});
