import { bootstrap } from '@passo/platform';
import { env } from './env';

void bootstrap({
  service: 'inventory-service',
  env,
  module: async () => (await import('./inventory-service.module')).InventoryServiceModule,
});
