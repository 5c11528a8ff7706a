import { appEnvSchema } from '@passo/platform';
import { z } from 'zod';

export const env = appEnvSchema('ORCHESTRATOR_DATABASE_URL', 3004).extend({
  /** Time a saga has to settle before it is compensated (CANCELLED with reason TIMEOUT). */
  SAGA_DEADLINE_MS: z.coerce.number().int().min(100).max(86_400_000).default(30_000),
  /** How often this replica looks for sagas past their deadline. */
  SAGA_DEADLINE_CHECK_MS: z.coerce.number().int().min(50).max(60_000).default(1_000),
});
