import { bootstrap } from '@passo/platform';
import { env } from './env';
import { SAGA_EVENTS } from './order-saga/saga-contracts';

void bootstrap({
  service: 'saga-orchestrator',
  env,
  consumes: SAGA_EVENTS,
  module: async () => (await import('./saga-orchestrator.module')).SagaOrchestratorModule,
});
