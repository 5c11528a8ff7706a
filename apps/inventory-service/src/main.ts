import { OrderCancelled, OrderConfirmed, OrderPlaced, PaymentFailed } from '@passo/contracts';
import { bootstrap } from '@passo/platform';
import { env } from './env';

void bootstrap({
  service: 'inventory-service',
  env,
  consumes: [OrderPlaced, PaymentFailed, OrderCancelled, OrderConfirmed],
  module: async () => (await import('./inventory-service.module')).InventoryServiceModule,
});
