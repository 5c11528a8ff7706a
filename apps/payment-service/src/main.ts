import { ChargePayment, RefundPayment, StockReserved } from '@passo/contracts';
import { bootstrap } from '@passo/platform';
import { env } from './env';

void bootstrap({
  service: 'payment-service',
  env,
  // Choreography's event, then the orchestrator's commands.
  consumes: [StockReserved, ChargePayment, RefundPayment],
  module: async () => (await import('./payment-service.module')).PaymentServiceModule,
});
