import { SagaModeSchema } from '@passo/contracts';
import { appEnvSchema } from '@passo/platform';

export const orderServiceEnv = appEnvSchema('ORDER_DATABASE_URL', 3001).extend({
  /** Default saga mode for new orders until PUT /saga-mode overrides it. */
  SAGA_MODE: SagaModeSchema.default('choreography'),
});
