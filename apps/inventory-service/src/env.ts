import { appEnvSchema } from '@passo/platform';

export const env = appEnvSchema('INVENTORY_DATABASE_URL', 3002);
