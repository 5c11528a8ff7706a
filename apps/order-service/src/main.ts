import { PaymentCompleted, PaymentFailed, StockReservationFailed, StockReserved } from '@passo/contracts';
import { bootstrap } from '@passo/platform';
import { orderServiceEnv } from './env';

void bootstrap({
  service: 'order-service',
  env: orderServiceEnv,
  consumes: [StockReserved, StockReservationFailed, PaymentCompleted, PaymentFailed],
  module: async () => (await import('./order-service.module')).OrderServiceModule,
});
