import {
  CancelOrder,
  ConfirmOrder,
  PaymentCompleted,
  PaymentFailed,
  StockReservationFailed,
  StockReserved,
} from '@passo/contracts';
import { bootstrap } from '@passo/platform';
import { orderServiceEnv } from './env';

void bootstrap({
  service: 'order-service',
  env: orderServiceEnv,
  // Choreography's events (StockReserved prices the order in both modes), then the orchestrator's commands.
  consumes: [StockReserved, StockReservationFailed, PaymentCompleted, PaymentFailed, ConfirmOrder, CancelOrder],
  module: async () => (await import('./order-service.module')).OrderServiceModule,
});
