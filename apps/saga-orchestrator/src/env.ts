import { appEnvSchema } from '@passo/platform';

export const env = appEnvSchema('ORCHESTRATOR_DATABASE_URL', 3004);
