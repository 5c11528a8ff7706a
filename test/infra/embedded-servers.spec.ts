import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/app-process';

/**
 * The embedded-server start-up must never hang and must say what is wrong: a port taken by
 * something else, or a stale pid file left by a killed server. Each case uses its own ports and
 * state folder, so the suite's own servers are untouched.
 */
describe('embedded servers', () => {
  const saved = { ...process.env };
  let squatter: Server | undefined;
  const sockets = new Set<Socket>();

  const scratch: string[] = [];
  const scratchDir = (prefix: string) => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    scratch.push(dir);
    return dir;
  };

  afterEach(async () => {
    process.env = { ...saved };
    scratch.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true }));
    sockets.forEach((socket) => socket.destroy());
    await new Promise((done) => (squatter ? squatter.close(done) : done(undefined)));
    squatter = undefined;
  });

  /** A TCP server that accepts connections and never says a word (the worst case for a probe). */
  async function squat(): Promise<number> {
    const port = await freePort();
    squatter = createServer((socket) => {
      sockets.add(socket.on('error', () => undefined));
    });
    await new Promise<void>((done) => squatter!.listen(port, '127.0.0.1', done));
    return port;
  }

  async function load<T>(module: string): Promise<T> {
    let loaded: T | undefined;
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      loaded = require(module) as T;
    });
    return loaded as T;
  }

  it('refuses a PostgreSQL port held by another program, naming the port and the way out', async () => {
    process.env.PASSO_PG_PORT = String(await squat());
    const { ensurePostgres } = await load<typeof import('../../tools/devstack/postgres')>(
      '../../tools/devstack/postgres',
    );
    const started = Date.now();
    await expect(ensurePostgres(() => undefined)).rejects.toThrow(
      new RegExp(`Port ${process.env.PASSO_PG_PORT} is in use by something that is not Passo's embedded PostgreSQL`),
    );
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('refuses a NATS port held by another program', async () => {
    process.env.PASSO_NATS_PORT = String(await squat());
    const { ensureNats } = await load<typeof import('../../tools/devstack/nats')>('../../tools/devstack/nats');
    await expect(ensureNats(() => undefined)).rejects.toThrow(/is in use by something that is not NATS/);
  });

  it('refuses a NATS server without JetStream, saying how to fix it', async () => {
    const port = await freePort();
    const plain = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
    try {
      const { isPortOpen, waitFor } =
        await load<typeof import('../../tools/devstack/ports')>('../../tools/devstack/ports');
      await waitFor('plain nats-server', () => isPortOpen(port), 10_000);
      process.env.PASSO_NATS_PORT = String(port);
      const { ensureNats } = await load<typeof import('../../tools/devstack/nats')>('../../tools/devstack/nats');
      await expect(ensureNats(() => undefined)).rejects.toThrow(/runs without JetStream; restart it with -js/);
    } finally {
      plain.kill();
    }
  });

  it('reuses a JetStream server already running on its port', async () => {
    const url = new URL(process.env.PASSO_TEST_NATS_URL ?? '');
    process.env.PASSO_NATS_PORT = url.port;
    const { ensureNats } = await load<typeof import('../../tools/devstack/nats')>('../../tools/devstack/nats');
    const lines: string[] = [];
    const server = await ensureNats((line) => lines.push(line));
    expect(server.startedHere).toBe(false);
    expect(lines.join('\n')).toMatch(/reusing the JetStream server/);
  });

  it('starts nats-server on a free port, over a stale pid file, and stops it', async () => {
    const state = scratchDir('passo-nats-');
    mkdirSync(join(state, 'nats'), { recursive: true });
    // A pid that exists but is not nats-server (our own), as after a reboot reused it.
    writeFileSync(join(state, 'nats', 'nats-server.pid'), String(process.pid));
    process.env.PASSO_STATE_DIR = state;
    process.env.PASSO_NATS_PORT = String(await freePort());
    const { ensureNats } = await load<typeof import('../../tools/devstack/nats')>('../../tools/devstack/nats');
    const { isPortOpen } = await load<typeof import('../../tools/devstack/ports')>('../../tools/devstack/ports');
    const server = await ensureNats(() => undefined);
    expect(server.startedHere).toBe(true);
    expect(await isPortOpen(Number(process.env.PASSO_NATS_PORT))).toBe(true);
    await server.stop();
    expect(await isPortOpen(Number(process.env.PASSO_NATS_PORT))).toBe(false);
  });

  it('starts nats-server with its users: anonymous clients refused, passwords kept across restarts', async () => {
    const state = scratchDir('passo-nats-');
    process.env.PASSO_STATE_DIR = state;
    process.env.PASSO_NATS_PORT = String(await freePort());
    const { ensureNats, embeddedNatsUrl } =
      await load<typeof import('../../tools/devstack/nats')>('../../tools/devstack/nats');
    const { connect } = await import('nats');
    const first = await ensureNats(() => undefined);
    try {
      await expect(connect({ servers: embeddedNatsUrl(), maxReconnectAttempts: 0 })).rejects.toMatchObject({
        code: 'AUTHORIZATION_VIOLATION',
      });
      const { user, password } = first.users.apps['payment-service'];
      await (await connect({ servers: embeddedNatsUrl(), user, pass: password })).close();
      expect(statSync(join(state, 'nats', 'users.json')).mode & 0o077).toBe(0);
    } finally {
      await first.stop();
    }
    const second = await ensureNats(() => undefined);
    await second.stop();
    expect(second.users).toEqual(first.users);
  });

  it('refuses to reuse a NATS server that accepts anonymous clients', async () => {
    const port = await freePort();
    const store = scratchDir('passo-js-');
    const open = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', store], {
      stdio: 'ignore',
    });
    try {
      const { isPortOpen, waitFor } =
        await load<typeof import('../../tools/devstack/ports')>('../../tools/devstack/ports');
      await waitFor('open nats-server', () => isPortOpen(port), 10_000);
      process.env.PASSO_STATE_DIR = scratchDir('passo-nats-');
      process.env.PASSO_NATS_PORT = String(port);
      const { ensureNats } = await load<typeof import('../../tools/devstack/nats')>('../../tools/devstack/nats');
      await expect(ensureNats(() => undefined)).rejects.toThrow(
        /accepts anonymous clients .*: stop it, or set NATS_URL/,
      );
    } finally {
      open.kill();
    }
  });

  it('restarts, with its users, a server it started without them (an older Passo: its pid file)', async () => {
    const state = scratchDir('passo-nats-');
    const port = await freePort();
    mkdirSync(join(state, 'nats'), { recursive: true });
    const pidFile = join(state, 'nats', 'nats-server.pid');
    const args = ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', join(state, 'nats', 'jetstream'), '-P', pidFile];
    const old = spawn('nats-server', args, { stdio: 'ignore', detached: true });
    const oldExited = new Promise((done) => old.once('exit', done));
    process.env.PASSO_STATE_DIR = state;
    process.env.PASSO_NATS_PORT = String(port);
    const { isPortOpen, waitFor } =
      await load<typeof import('../../tools/devstack/ports')>('../../tools/devstack/ports');
    await waitFor('old nats-server', async () => (await isPortOpen(port)) && existsSync(pidFile), 10_000);
    const { ensureNats, embeddedNatsUrl } =
      await load<typeof import('../../tools/devstack/nats')>('../../tools/devstack/nats');
    const lines: string[] = [];
    const server = await ensureNats((line) => lines.push(line));
    try {
      expect(lines.join('\n')).toMatch(/runs without users; restarting it with them/);
      expect(server.startedHere).toBe(true);
      await oldExited; // stopped, not left running beside the new one
      const { connect } = await import('nats');
      await expect(connect({ servers: embeddedNatsUrl(), maxReconnectAttempts: 0 })).rejects.toMatchObject({
        code: 'AUTHORIZATION_VIOLATION',
      });
    } finally {
      await server.stop();
      if (old.exitCode === null && old.signalCode === null) old.kill();
    }
  });

  it("keeps JetStream on when the users' config changes and the server it started reloads it", async () => {
    const state = scratchDir('passo-nats-');
    process.env.PASSO_STATE_DIR = state;
    process.env.PASSO_NATS_PORT = String(await freePort());
    const nats = await load<typeof import('../../tools/devstack/nats')>('../../tools/devstack/nats');
    const first = await nats.ensureNats(() => undefined);
    try {
      // What an edit of deploy/nats-server.conf does to the written copy: the next start reloads it.
      const config = join(state, 'nats', 'nats-server.conf');
      writeFileSync(config, `# edited\n${readFileSync(config, 'utf8')}`);
      const lines: string[] = [];
      const again = await nats.ensureNats((line) => lines.push(line));
      expect(again.startedHere).toBe(false);
      expect(lines.join('\n')).toMatch(/reloads it[\s\S]*reusing the JetStream server/);
      const { connect } = await import('nats');
      const nc = await connect({
        servers: nats.embeddedNatsUrl(),
        user: 'passo-admin',
        pass: first.users.admin.password,
      });
      try {
        const jsm = await nc.jetstreamManager({ timeout: 2_000 });
        await expect(jsm.getAccountInfo()).resolves.toMatchObject({ streams: 0 });
      } finally {
        await nc.close();
      }
    } finally {
      await first.stop();
    }
  });

  it('starts PostgreSQL over a stale postmaster.pid, reuses the data on the next start, and stops', async () => {
    const state = scratchDir('passo-pg-');
    chmodSync(state, 0o755); // the server runs as `postgres` when we are root
    process.env.PASSO_STATE_DIR = state;
    process.env.PASSO_PG_PORT = String(await freePort());
    const pg = await load<typeof import('../../tools/devstack/postgres')>('../../tools/devstack/postgres');
    const { Client } = await import('pg');
    const query = async (sql: string) => {
      const client = new Client({ connectionString: pg.embeddedPgUrl('postgres') });
      await client.connect();
      try {
        return (await client.query(sql)).rows;
      } finally {
        await client.end();
      }
    };
    const first = await pg.ensurePostgres(() => undefined);
    try {
      await query('CREATE TABLE kept (id int)');
    } finally {
      await first.stop();
    }
    // Simulate a kill -9 whose pid was later reused by another program (here: this test process).
    const dataDir = join(state, 'postgres', 'data');
    writeFileSync(join(dataDir, 'postmaster.pid'), `${process.pid}\n${dataDir}\n`);
    const lines: string[] = [];
    const second = await pg.ensurePostgres((line) => lines.push(line));
    try {
      expect(lines.join('\n')).toMatch(/removed a stale postmaster.pid/);
      expect(lines.join('\n')).not.toMatch(/creating a new cluster/);
      expect(await query(`SELECT to_regclass('public.kept') AS kept`)).toEqual([{ kept: 'kept' }]);
    } finally {
      await second.stop();
    }
  }, 120_000);

  it('fails a first PostgreSQL start with what initdb itself said, leaving no password file behind', async () => {
    const state = scratchDir('passo-pg-');
    chmodSync(state, 0o755); // the server runs as `postgres` when we are root
    process.env.PASSO_STATE_DIR = state;
    process.env.PASSO_PG_PORT = String(await freePort());
    process.env.LC_ALL = 'xx_XX.not-a-locale'; // initdb refuses to create a cluster in it
    const pg = await load<typeof import('../../tools/devstack/postgres')>('../../tools/devstack/postgres');
    const failure = pg.ensurePostgres(() => undefined);
    await expect(failure).rejects.toThrow(/^PostgreSQL initdb failed \(exit 1\): \S+initdb --pgdata=/);
    await expect(failure).rejects.toThrow(/initdb: error: invalid locale settings/);
    expect(existsSync(join(state, 'postgres', 'initdb-password'))).toBe(false);
    expect(existsSync(join(state, 'postgres', 'data', 'PG_VERSION'))).toBe(false);
  });

  it('asks for all four database URLs or none', async () => {
    process.env.ORDER_DATABASE_URL = 'postgresql://u:p@localhost:5432/passo_order';
    const { ensureInfra } = await load<typeof import('../../tools/devstack/infra')>('../../tools/devstack/infra');
    await expect(ensureInfra(() => undefined)).rejects.toThrow(
      'Missing: INVENTORY_DATABASE_URL, PAYMENT_DATABASE_URL, ORCHESTRATOR_DATABASE_URL',
    );
  });
});
