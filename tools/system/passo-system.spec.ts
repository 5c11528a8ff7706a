import type { ServiceName } from '../services/services';
import { PassoSystem } from './passo-system';
import type { SystemDatabase } from './system-database';

/** Databases that only record what happens to them. */
function fakeDatabases() {
  const dropped: string[] = [];
  const failing = new Set<ServiceName>();
  let release: () => void = () => undefined;
  const held = new Set<ServiceName>();
  const database = async (service: ServiceName): Promise<SystemDatabase> => {
    if (held.has(service)) await new Promise<void>((done) => (release = done));
    return {
      url: `postgres://server/${service}`,
      query: async () => [],
      drop: async () => {
        if (failing.has(service)) throw new Error(`${service} would not drop`);
        dropped.push(service);
      },
    };
  };
  return { database, dropped, failing, held, release: () => release() };
}

const system = (database: (service: ServiceName) => Promise<SystemDatabase>) =>
  new PassoSystem({
    prefix: 'tabc',
    natsUrl: 'nats://bus:4222',
    database,
    env: { LOG_LEVEL: 'warn', SAGA_DEADLINE_MS: '30000' },
    appEnv: (app) => (app === 'saga-orchestrator' ? { SAGA_DEADLINE_MS: '1000' } : undefined),
  });

describe('PassoSystem', () => {
  it("gives each app its database under its own variable, the broker, the prefix, then the extra env (an app's own last)", async () => {
    const passo = system(fakeDatabases().database);
    await passo.createDatabases();
    expect(passo.appEnv('payment-service')).toEqual({
      PAYMENT_DATABASE_URL: 'postgres://server/payment',
      NATS_URL: 'nats://bus:4222',
      PASSO_TOPOLOGY_PREFIX: 'tabc',
      LOG_LEVEL: 'warn',
      SAGA_DEADLINE_MS: '30000',
    });
    expect(passo.appEnv('saga-orchestrator')).toMatchObject({
      ORCHESTRATOR_DATABASE_URL: 'postgres://server/orchestrator',
      SAGA_DEADLINE_MS: '1000',
    });
    expect(passo.databaseUrl('inventory')).toBe('postgres://server/inventory');
  });

  it('drops every database on stop, the one being made when it was called included, and then makes no more', async () => {
    const fake = fakeDatabases();
    fake.held.add('inventory');
    const passo = system(fake.database);
    const creating = passo.createDatabases();
    await new Promise((r) => setImmediate(r)); // order's made, inventory's under way
    const stopping = passo.stop();
    fake.release();
    await stopping;
    expect(fake.dropped.sort()).toEqual(['inventory', 'order']);
    await expect(creating).rejects.toThrow('the system is stopping');
    await expect(passo.boot('order-service')).rejects.toThrow('the system is stopping');
    await expect(passo.stop()).resolves.toBeUndefined(); // twice: the same stop
  });

  it('tries every drop and throws the first failure', async () => {
    const fake = fakeDatabases();
    fake.failing.add('order');
    const passo = system(fake.database);
    await passo.createDatabases();
    await expect(passo.stop()).rejects.toThrow('order would not drop');
    expect(fake.dropped.sort()).toEqual(['inventory', 'orchestrator', 'payment']);
  });
});
