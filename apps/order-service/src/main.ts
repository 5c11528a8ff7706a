import { bootstrap } from '@passo/platform';
import { orderServiceEnv } from './env';

void bootstrap({
  service: 'order-service',
  env: orderServiceEnv,
  module: async () => (await import('./order-service.module')).OrderServiceModule,
});
