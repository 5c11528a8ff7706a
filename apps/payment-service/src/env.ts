import { appEnvSchema } from '@passo/platform';

export const env = appEnvSchema('PAYMENT_DATABASE_URL', 3003);
