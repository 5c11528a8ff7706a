import { resolveService } from '../../tools/services/services';
import { APPS } from '../../tools/system/apps';
import { freePort, spawnApp, startApp } from '../support/app-process';
import { testDatabase, testNatsUrl, type TestDatabase } from '../support/databases';
import { eventually } from '../support/eventually';
import { http } from '../support/http';

interface RequestLine {
  msg?: string;
  req?: { id?: string; url?: string };
  res?: { statusCode?: number };
}

/** The JSON lines pino-http wrote when a request completed. */
function requestLines(output: string): RequestLine[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as RequestLine)
    .filter((line) => line.msg === 'request completed');
}

describe.each(APPS)('$name platform', ({ name, databaseUrlVar }) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await testDatabase(resolveService(name).name);
  });
  afterAll(() => db?.drop());

  it('refuses to start without its database URL, naming the variable', async () => {
    const app = await spawnApp(name, { NATS_URL: testNatsUrl() });
    expect(await app.exited).toBe(1);
    expect(app.output()).toContain(`${databaseUrlVar} is required but not set`);
  });

  it('refuses to start with a bad value, naming the variable', async () => {
    const app = await spawnApp(name, { [databaseUrlVar]: db.url, NATS_URL: 'http://localhost:4222', PORT: '70000' });
    expect(await app.exited).toBe(1);
    expect(app.output()).toMatch(/NATS_URL must be/);
    expect(app.output()).toMatch(/PORT/);
  });

  it('is healthy with its database and NATS, serves metrics, echoes request ids, stops on SIGTERM', async () => {
    const app = await startApp(name, { [databaseUrlVar]: db.url, NATS_URL: testNatsUrl(), LOG_LEVEL: 'info' });
    try {
      const health = await http<{ status: string; info: Record<string, { status: string }> }>(
        'GET',
        `${app.url}/health`,
      );
      expect(health.status).toBe(200);
      expect(health.body.info).toMatchObject({ database: { status: 'up' }, nats: { status: 'up' } });
      const traced = await http('GET', `${app.url}/health`, undefined, { 'X-Request-Id': 'trace-me-42' });
      expect(traced.headers.get('x-request-id')).toBe('trace-me-42');
      const metrics = await http<string>('GET', `${app.url}/metrics`);
      expect(metrics.status).toBe(200);
      expect(metrics.body).toContain('passo_http_request_duration_seconds_bucket');
      expect(metrics.body).toContain('route="/health"');
      // A request is logged once with its id (the caller's when given); the probes' and scrapers' are not.
      const missing = await http('GET', `${app.url}/nothing-here`, undefined, { 'X-Request-Id': 'trace-me-43' });
      expect(missing.status).toBe(404);
      expect(missing.headers.get('x-request-id')).toBe('trace-me-43');
      const logged = () => requestLines(app.output());
      await eventually(() => logged().some((line) => line.req?.id === 'trace-me-43'), 5_000);
      expect(logged().filter((line) => line.req?.id === 'trace-me-43')).toEqual([
        expect.objectContaining({ req: expect.objectContaining({ url: '/nothing-here' }), res: { statusCode: 404 } }),
      ]);
      expect(logged().filter((line) => ['/health', '/metrics'].includes(line.req?.url ?? ''))).toEqual([]);
    } finally {
      expect(await app.stop('SIGTERM')).toBe(0);
    }
    expect(app.output()).toContain('received SIGTERM');
    expect(app.output()).toMatch(/stopped cleanly in \d+ ms/);
  });
});

describe.each(APPS)('$name stopped during start-up', ({ name, databaseUrlVar }) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await testDatabase(resolveService(name).name);
  });
  afterAll(() => db?.drop());

  it('exits 0 when SIGTERM arrives while its message consumers are still starting', async () => {
    const app = await spawnApp(name, { [databaseUrlVar]: db.url, NATS_URL: testNatsUrl() });
    // Signal the moment HTTP answers: the consumers are then still connecting and provisioning.
    await eventually(async () => (await fetch(`${app.url}/health`).catch(() => undefined)) !== undefined, 20_000, 5);
    expect(await app.stop('SIGTERM')).toBe(0);
  });
});

describe('health when a dependency is down', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await testDatabase('order');
  });
  afterAll(() => db?.drop());

  it('answers 503 naming the database when PostgreSQL is unreachable', async () => {
    const deadDb = `postgresql://postgres:passo@127.0.0.1:${await freePort()}/passo_order`;
    const app = await startApp('order-service', { ORDER_DATABASE_URL: deadDb, NATS_URL: testNatsUrl() });
    try {
      const health = await http<{ error: Record<string, { status: string }> }>('GET', `${app.url}/health`);
      expect(health.status).toBe(503);
      expect(health.body.error).toHaveProperty('database.status', 'down');
      // A request needing the database fails fast with 503, instead of hanging or a bare 500.
      expect((await http('GET', `${app.url}/saga-mode`)).status).toBe(503);
    } finally {
      await app.stop();
    }
  });

  it('answers 503 naming NATS when the broker is unreachable', async () => {
    const app = await startApp('order-service', {
      ORDER_DATABASE_URL: db.url,
      NATS_URL: `nats://127.0.0.1:${await freePort()}`,
    });
    try {
      const health = await http<{ error: Record<string, { status: string }>; info: Record<string, unknown> }>(
        'GET',
        `${app.url}/health`,
      );
      expect(health.status).toBe(503);
      expect(health.body.error).toHaveProperty('nats.status', 'down');
      expect(health.body.info).toHaveProperty('database.status', 'up');
    } finally {
      await app.stop();
    }
  });
});
