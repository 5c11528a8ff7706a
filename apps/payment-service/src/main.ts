import { StockReserved } from '@passo/contracts';
import { bootstrap } from '@passo/platform';
import { env } from './env';

void bootstrap({
  service: 'payment-service',
  env,
  consumes: [StockReserved],
  module: async () => (await import('./payment-service.module')).PaymentServiceModule,
});
