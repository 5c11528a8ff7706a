import { buildApps } from '../../tools/system/apps';
import { ensureInfra } from '../../tools/devstack/infra';
import { prepareTemplates } from './databases';

/**
 * Brings up (or reuses) the embedded PostgreSQL and NATS, and builds the apps the e2e tests boot
 * as real processes. Tests create their own databases from PASSO_TEST_PG_URL.
 */
export default async function globalSetup(): Promise<void> {
  // `npm run test:unit` needs no servers.
  if (process.env.PASSO_UNIT_ONLY === '1') return;
  const log = (line: string) => process.stderr.write(`[test-infra] ${line}\n`);
  // A server of your own can be used through a superuser URL; tests never touch the apps' databases.
  const adminUrl = process.env.PASSO_TEST_PG_URL;
  const infra = await ensureInfra(log, { postgres: !adminUrl });
  process.env.PASSO_TEST_PG_URL = adminUrl ?? infra.adminUrl;
  process.env.PASSO_TEST_NATS_URL = infra.urls.NATS_URL;
  process.env.PASSO_TEST_NATS_USERS = JSON.stringify(infra.natsEnv);
  (globalThis as { __PASSO_INFRA__?: typeof infra }).__PASSO_INFRA__ = infra;
  try {
    await prepareTemplates(log);
    await buildApps(log);
  } catch (error) {
    await infra.stop(); // jest skips the global teardown when the setup fails
    throw error;
  }
}
