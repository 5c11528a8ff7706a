import { bootstrap } from '@passo/platform';
import { env } from './env';

void bootstrap({
  service: 'payment-service',
  env,
  module: async () => (await import('./payment-service.module')).PaymentServiceModule,
});
