import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, unlinkSync } from 'node:fs';
import { delimiter, join } from 'node:path';
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

function isJetStreamGreeting(greeting: string | null): boolean | undefined {
  if (!greeting?.startsWith('INFO ')) return undefined;
  try {
    return Boolean((JSON.parse(greeting.slice(5)) as { jetstream?: boolean }).jetstream);
  } catch {
    return undefined;
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
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && (await isPortOpen(port, '127.0.0.1', 300))) {
    await new Promise((r) => setTimeout(r, 100));
  }
  if (isNatsProcess(pid)) process.kill(pid, 'SIGKILL');
}

/** The server already on the port when it speaks NATS with JetStream; throws when something else holds it. */
async function existingServer(
  port: number,
  log: (line: string) => void,
  hint = '',
): Promise<RunningServer | undefined> {
  if (!(await isPortOpen(port))) return undefined;
  const jetstream = isJetStreamGreeting(await readGreeting(port));
  if (jetstream) {
    log(`NATS: reusing the JetStream server already running on 127.0.0.1:${port}`);
    return { startedHere: false, stop: async () => undefined };
  }
  const problem =
    jetstream === false
      ? `A NATS server on 127.0.0.1:${port} runs without JetStream; restart it with -js, or set NATS_URL.`
      : `Port ${port} is in use by something that is not NATS. Stop it, choose another port with PASSO_NATS_PORT, or set NATS_URL.`;
  throw new Error(hint ? `${problem} ${hint}` : problem);
}

/** Starts `nats-server -js`, or reuses a JetStream server already answering on its port. */
export async function ensureNats(log: (line: string) => void): Promise<RunningServer> {
  const { port } = EMBEDDED_NATS;
  const dir = join(STATE_DIR, 'nats');
  const pidFile = join(dir, 'nats-server.pid');
  const logFile = join(dir, 'nats-server.log');
  const running = await existingServer(port, log);
  if (running) return running;
  const stale = readPid(pidFile);
  if (stale && isNatsProcess(stale)) {
    throw new Error(
      `nats-server (pid ${stale}) runs from ${dir} but does not answer on ${port}; stop it (kill ${stale}).`,
    );
  }
  if (stale) unlinkSync(pidFile);
  const binary = resolveBinary(log);
  // On a systemd host the Debian package starts its own service (no JetStream) on 4222.
  const started = await existingServer(
    port,
    log,
    'If the nats-server package started its own service: systemctl disable --now nats-server.',
  );
  if (started) return started;
  mkdirSync(join(dir, 'jetstream'), { recursive: true });
  log(`NATS: starting ${binary} -js on 127.0.0.1:${port} (store in ${join(dir, 'jetstream')})`);
  const args = ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', join(dir, 'jetstream'), '-P', pidFile];
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
