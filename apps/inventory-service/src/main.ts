import {
  OrderCancelled,
  OrderConfirmed,
  OrderPlaced,
  PaymentFailed,
  ReleaseStock,
  ReserveStock,
  SellStock,
} from '@passo/contracts';
import { bootstrap } from '@passo/platform';
import { env } from './env';

void bootstrap({
  service: 'inventory-service',
  env,
  // Choreography's events, then the orchestrator's commands.
  consumes: [OrderPlaced, PaymentFailed, OrderCancelled, OrderConfirmed, ReserveStock, ReleaseStock, SellStock],
  module: async () => (await import('./inventory-service.module')).InventoryServiceModule,
});
