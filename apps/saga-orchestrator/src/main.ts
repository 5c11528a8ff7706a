import { bootstrap } from '@passo/platform';
import { env } from './env';

void bootstrap({
  service: 'saga-orchestrator',
  env,
  module: async () => (await import('./saga-orchestrator.module')).SagaOrchestratorModule,
});
