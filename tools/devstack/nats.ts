import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, unlinkSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { connect } from 'nats';
import { embeddedNatsUsers, writeNatsConfig, type NatsUser, type NatsUsers } from './nats-users';
import { STATE_DIR } from './paths';
import { isPortOpen, processName, readGreeting, waitFor } from './ports';
import type { RunningServer } from './postgres';

export const EMBEDDED_NATS = { host: '127.0.0.1', port: Number(process.env.PASSO_NATS_PORT ?? 4222) };
export const embeddedNatsUrl = () => `nats://${EMBEDDED_NATS.host}:${EMBEDDED_NATS.port}`;

const HOW_TO_GET_IT =
  'nats-server is not on PATH. Install it: `apt-get install nats-server` (Debian/Ubuntu), ' +
  '`brew install nats-server` (macOS), or a release from https://github.com/nats-io/nats-server/releases; ' +
  'or set NATS_URL to a running NATS server with JetStream enabled.';

function findOnPath(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, binary))) return join(dir, binary);
  }
  return undefined;
}

function installFromDebian(log: (line: string) => void): string | undefined {
  if (process.getuid?.() !== 0 || !findOnPath('apt-get')) return undefined;
  log('NATS: nats-server not found — installing Debian package nats-server (apt-get install -y nats-server)…');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  const install = spawnSync('apt-get', ['install', '-y', '-qq', 'nats-server'], { stdio: 'inherit', env });
  if (install.status !== 0) return undefined;
  return findOnPath('nats-server');
}

function resolveBinary(log: (line: string) => void): string {
  const binary = process.env.NATS_SERVER_BIN ?? findOnPath('nats-server') ?? installFromDebian(log);
  if (!binary) throw new Error(HOW_TO_GET_IT);
  return binary;
}

interface Greeting {
  jetstream?: boolean;
  auth_required?: boolean;
}

function parseGreeting(greeting: string | null): Greeting | undefined {
  if (!greeting?.startsWith('INFO ')) return undefined;
  try {
    return JSON.parse(greeting.slice(5)) as Greeting;
  } catch {
    return undefined;
  }
}

const isJetStreamGreeting = (greeting: string | null) => {
  const info = parseGreeting(greeting);
  return info ? Boolean(info.jetstream) : undefined;
};

/** Whether the operator's user gets in (a server with users that are not ours refuses it). */
async function acceptsUser(port: number, { user, password }: NatsUser): Promise<boolean> {
  try {
    const nc = await connect({ servers: `nats://127.0.0.1:${port}`, user, pass: password, timeout: 3_000 });
    await nc.close();
    return true;
  } catch {
    return false;
  }
}

function readPid(pidFile: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function isNatsProcess(pid: number): boolean {
  return processName(pid) === 'nats-server';
}

async function killAndWait(pid: number, port: number): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  // Until the process is gone, not only its port: it closes the port first and then flushes
  // JetStream, and a start meanwhile would find its pid alive and its port silent.
  const gone = async () => !isNatsProcess(pid) && !(await isPortOpen(port, '127.0.0.1', 300));
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && !(await gone())) await new Promise((r) => setTimeout(r, 100));
  if (!isNatsProcess(pid)) return;
  process.kill(pid, 'SIGKILL');
  for (const until = Date.now() + 5_000; Date.now() < until && isNatsProcess(pid);) {
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface EmbeddedNats extends RunningServer {
  /** The users the server was started with (the operator and each app). */
  users: NatsUsers;
}

/**
 * The server already on the port when it is ours: JetStream, with our users (a server we started
 * re-reads its config, which may have changed). Throws when something else holds the port.
 * Returns a Restart for a server we started that must not be reused: without users, or without
 * JetStream after a reload (both: an older Passo).
 */
/** A server of ours that must not be reused, and why (for the log). */
interface Restart {
  restart: string;
}

async function existingServer(
  port: number,
  users: NatsUsers,
  ours: { pid?: number; configChanged: boolean },
  log: (line: string) => void,
  hint = '',
): Promise<EmbeddedNats | Restart | undefined> {
  if (!(await isPortOpen(port))) return undefined;
  const info = parseGreeting(await readGreeting(port));
  const problem = (text: string) => new Error(hint ? `${text} ${hint}` : text);
  if (!info) {
    throw problem(
      `Port ${port} is in use by something that is not NATS. Stop it, choose another port with PASSO_NATS_PORT, or set NATS_URL.`,
    );
  }
  if (!info.jetstream)
    throw problem(`A NATS server on 127.0.0.1:${port} runs without JetStream; restart it with -js, or set NATS_URL.`);
  if (!info.auth_required) {
    if (ours.pid) return { restart: 'runs without users; restarting it with them' };
    throw problem(
      `A NATS server on 127.0.0.1:${port} accepts anonymous clients (started without Passo's users, ` +
        'e.g. by an older version of Passo): stop it, or set NATS_URL and the NATS users (see README, "The bus").',
    );
  }
  if (ours.pid && ours.configChanged) {
    process.kill(ours.pid, 'SIGHUP'); // nats-server re-reads its config file (users, permissions)
    log(`NATS: the users' config changed; the server we started (pid ${ours.pid}) reloads it`);
    await new Promise((r) => setTimeout(r, 500));
    // Started by an older Passo with -js on the command line, it has just shut JetStream down.
    if (!parseGreeting(await readGreeting(port))?.jetstream) {
      return {
        restart: 'shut JetStream down on reloading its config (started with -js by an older Passo); restarting it',
      };
    }
  }
  if (!(await acceptsUser(port, users.admin))) {
    throw problem(
      `The NATS server on 127.0.0.1:${port} refuses Passo's operator user (its users are not the ones in ` +
        `${join(STATE_DIR, 'nats', 'users.json')}): stop it, or set NATS_URL and the NATS users.`,
    );
  }
  log(`NATS: reusing the JetStream server already running on 127.0.0.1:${port}`);
  return { startedHere: false, users, stop: async () => undefined };
}

/**
 * Starts `nats-server -js` with Passo's users (config written under the state folder), or reuses
 * a JetStream server of ours already answering on its port.
 */
export async function ensureNats(log: (line: string) => void): Promise<EmbeddedNats> {
  const { port } = EMBEDDED_NATS;
  const dir = join(STATE_DIR, 'nats');
  const pidFile = join(dir, 'nats-server.pid');
  const logFile = join(dir, 'nats-server.log');
  const users = embeddedNatsUsers(dir);
  const config = writeNatsConfig(dir, users, { storeDir: join(dir, 'jetstream') });
  const pid = readPid(pidFile);
  const ownPid = pid && isNatsProcess(pid) ? pid : undefined;
  const running = await existingServer(port, users, { pid: ownPid, configChanged: config.changed }, log);
  if (running && 'restart' in running) {
    log(`NATS: the server we started (pid ${ownPid}) ${running.restart}`);
    if (ownPid) await killAndWait(ownPid, port);
  } else if (running) {
    return running;
  } else if (ownPid) {
    throw new Error(
      `nats-server (pid ${ownPid}) runs from ${dir} but does not answer on ${port}; stop it (kill ${ownPid}).`,
    );
  }
  if (existsSync(pidFile) && !(pid && isNatsProcess(pid))) unlinkSync(pidFile);
  const binary = resolveBinary(log);
  // On a systemd host the Debian package starts its own service (no JetStream) on 4222.
  const started = await existingServer(
    port,
    users,
    { configChanged: false },
    log,
    'If the nats-server package started its own service: systemctl disable --now nats-server.',
  );
  if (started && !('restart' in started)) return started;
  mkdirSync(join(dir, 'jetstream'), { recursive: true });
  log(
    `NATS: starting ${binary} on 127.0.0.1:${port} (JetStream store in ${join(dir, 'jetstream')}, users in ${config.path})`,
  );
  // JetStream and its store are set in the config file (see writeNatsConfig).
  const args = [...['-c', config.path, '-a', '127.0.0.1', '-p', String(port)], ...['-P', pidFile]];
  const out = openSync(logFile, 'a');
  // Detached: its own process group, so Ctrl-C reaches the apps first and the broker is stopped last.
  const child = spawn(binary, args, { detached: true, stdio: ['ignore', out, out] });
  child.unref();
  let exited = false;
  child.once('exit', () => (exited = true));
  try {
    await waitFor(
      'nats-server',
      async () => {
        if (exited)
          throw new Error(
            `nats-server exited at start:\n${readFileSync(logFile, 'utf8').split('\n').slice(-10).join('\n')}`,
          );
        return isJetStreamGreeting(await readGreeting(port)) === true;
      },
      20_000,
    );
  } catch (error) {
    if (child.pid) await killAndWait(child.pid, port);
    throw error;
  }
  return {
    startedHere: true,
    users,
    stop: async () => {
      log('NATS: stopping');
      if (child.pid) await killAndWait(child.pid, port);
    },
  };
}

export async function stopNats(log: (line: string) => void): Promise<void> {
  const pid = readPid(join(STATE_DIR, 'nats', 'nats-server.pid'));
  if (!pid || !isNatsProcess(pid)) return log('NATS: not running');
  await killAndWait(pid, EMBEDDED_NATS.port);
  log('NATS: stopped');
}
