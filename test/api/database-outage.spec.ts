import { randomUUID } from 'node:crypto';
import { APPS, type AppInfo } from '../../tools/system/apps';
import type { PassoSystem } from '../../tools/system/passo-system';
import type { AppProcess } from '../support/app-process';
import type { TestDatabase } from '../support/databases';
import { eventually } from '../support/eventually';
import { http } from '../support/http';
import { testPassoSystem } from '../support/passo-system';
import { privateServers, type PrivateServers } from '../support/private-servers';

/**
 * Every app answers 503 with Retry-After, never 500, on every route that needs its database while
 * PostgreSQL is down (docs/ARCHITECTURE.md, "HTTP API"). The apps run against a throwaway embedded server of
 * this file's own (the shared test server is used by other files in parallel), which is stopped
 * once they have used it.
 */
const ROUTES: Record<AppInfo['name'], Array<[method: string, path: string, body?: unknown]>> = {
  'order-service': [
    ['POST', '/orders', { customerId: 'c-1', items: [{ sku: 'sku-1', quantity: 1 }] }],
    ['GET', '/orders'],
    ['GET', `/orders/${randomUUID()}`],
    ['GET', '/saga-mode'],
    ['PUT', '/saga-mode', { mode: 'orchestration' }],
  ],
  'inventory-service': [
    ['PUT', '/products/sku-1', { priceCents: 100, available: 5 }],
    ['GET', '/products/sku-1'],
  ],
  'payment-service': [
    ['PUT', '/customers/c-1', { balanceCents: 1_000 }],
    ['GET', '/customers/c-1'],
    ['GET', `/payments?orderId=${randomUUID()}`],
  ],
  'saga-orchestrator': [['GET', `/sagas/${randomUUID()}`]],
};

describe('apps while their database is down', () => {
  let servers: PrivateServers;
  let system: PassoSystem<TestDatabase>;
  const apps = new Map<AppInfo['name'], AppProcess>();

  beforeAll(async () => {
    servers = await privateServers();
    system = testPassoSystem({ servers: { database: servers.database } });
    await system.createDatabases();
    await system.startApps();
    for (const { name } of APPS) apps.set(name, system.apps[name]);
    // Each app has used its database (pools hold connections) before the server goes away.
    for (const app of apps.values())
      await eventually(async () => (await http('GET', `${app.url}/health`)).status === 200);
    await servers.pg.stopPostgres(() => undefined);
  }, 180_000);

  afterAll(async () => {
    await system?.stop();
    await servers?.close();
  });

  describe.each(APPS.map(({ name }) => ({ name })))('$name', ({ name }) => {
    // Objects, not tuples: jest would take a missing third element's parameter for `done`.
    const routes = ROUTES[name].map(([method, path, body]) => ({ method, path, body }));
    it.each(routes)('$method $path answers 503 with Retry-After', async ({ method, path, body }) => {
      const app = apps.get(name)!;
      const response = await http<Record<string, unknown>>(method, `${app.url}${path}`, body);
      expect({ status: response.status, body: response.body }).toEqual({
        status: 503,
        body: { statusCode: 503, error: 'Service Unavailable', message: expect.any(String) },
      });
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    });

    it('reports the database down on /health', async () => {
      const health = await http<{ error: Record<string, { status: string }> }>('GET', `${apps.get(name)!.url}/health`);
      expect(health.status).toBe(503);
      expect(health.body.error).toHaveProperty('database.status', 'down');
    });
  });
});
