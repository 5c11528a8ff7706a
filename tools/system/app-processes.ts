import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { appEntry, type AppInfo, healthStatus, isOk } from './apps';

/** Lines kept per app, to show why it failed. */
const KEPT_LINES = 40;

export interface RunningApp {
  name: AppInfo['name'];
  port: number;
  url: string;
  child: ChildProcess;
  /** Set once the process ended (code or signal). */
  exit?: string;
  /** The exit code, or the signal that ended it. */
  exited: Promise<number | NodeJS.Signals | null>;
  lastLines(): string;
  /** Everything it wrote, with `keepOutput` (the tests' assertions and failure messages); else the last lines. */
  output(): string;
  /** Sends `signal` (default SIGTERM) unless it already ended; resolves with how it ended. */
  stop(signal?: NodeJS.Signals): Promise<number | NodeJS.Signals | null>;
}

export interface SpawnOptions {
  /** Node flags before the entry point (e.g. --cpu-prof). */
  nodeArgs?: readonly string[];
  /**
   * Write the app's output to this file instead of `log` (a chatty app at the info level costs
   * the caller no CPU: the child writes straight to the file).
   */
  logFile?: string;
  /** Keep every line it writes, for output() (default: the last 40 only). */
  keepOutput?: boolean;
}

/**
 * Spawns a built app on `port` with exactly `env` (plus PATH and PORT): nothing of the caller's
 * environment or of the project's .env leaks in. Every line it writes goes to `log`, or to `logFile`.
 */
export function spawnRunApp(
  name: AppInfo['name'],
  port: number,
  env: Record<string, string>,
  log: (line: string) => void,
  { nodeArgs = [], logFile, keepOutput = false }: SpawnOptions = {},
): RunningApp {
  const fd = logFile === undefined ? undefined : openSync(logFile, 'a');
  const child = spawn(process.execPath, [...nodeArgs, appEntry(name)], {
    cwd: tmpdir(), // not the project root, whose .env `nest start` would read
    env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port) },
    stdio: fd === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', fd, fd],
  });
  if (fd !== undefined) closeSync(fd); // the child holds its own copy
  const lines: string[] = [];
  let all = '';
  const exited = new Promise<number | NodeJS.Signals | null>((done) =>
    child.once('exit', (code, signal) => {
      app.exit = String(code ?? signal);
      done(code ?? signal);
    }),
  );
  const lastLines = () => (logFile === undefined ? lines.join('\n') : tailOf(logFile));
  const app: RunningApp = {
    name,
    port,
    url: `http://127.0.0.1:${port}`,
    child,
    exited,
    lastLines,
    output: () => (keepOutput ? all : lastLines()),
    stop: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  const keep = (chunk: Buffer) => {
    if (keepOutput) all += chunk.toString();
    for (const line of chunk.toString().split('\n').filter(Boolean)) {
      lines.push(line);
      if (lines.length > KEPT_LINES) lines.shift();
      log(`[${name}] ${line}`);
    }
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return app;
}

/**
 * When an app counts as started: `healthy`, GET /health answers 200 (its database and NATS are
 * reachable); `answering`, it answers at all (a test of its 503s, or of what it does meanwhile).
 */
export type Readiness = 'healthy' | 'answering';

export interface ReadyOptions {
  until?: Readiness;
  timeoutMs?: number;
}

/**
 * Waits until the app is ready (default: healthy within 60 s). An app that exits or is not ready
 * in time is SIGKILLed, and the error names it, why, and what it wrote.
 */
export async function waitReady(app: RunningApp, { until = 'healthy', timeoutMs = 60_000 }: ReadyOptions = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (app.exit !== undefined) throw new Error(`${app.name} exited (${app.exit}) during start:\n${app.output()}`);
    const status = await healthStatus(app.port);
    if (until === 'healthy' ? isOk(status) : status !== undefined) return;
    if (Date.now() > deadline) {
      await app.stop('SIGKILL');
      const why = until === 'healthy' ? 'not healthy' : 'not answering';
      throw new Error(`${app.name} ${why} after ${timeoutMs / 1000} s (is PostgreSQL or NATS down?):\n${app.output()}`);
    }
    await sleep(100);
  }
}

/**
 * Graceful stop: SIGTERM (unless the app is already stopping on a terminal's Ctrl-C, which reaches
 * the whole process group), SIGKILL if it has not exited in time.
 */
export async function stopApp(app: RunningApp, { signalled = false, timeoutMs = 10_000 } = {}): Promise<void> {
  if (app.exit !== undefined) return;
  const exited = new Promise<void>((done) => app.child.once('exit', () => done()));
  const within = (ms: number) => Promise.race([exited.then(() => true), sleep(ms).then(() => false)]);
  if (signalled && (await within(5_000))) return;
  app.child.kill('SIGTERM');
  if (await within(timeoutMs)) return;
  app.child.kill('SIGKILL');
  await exited;
}

function tailOf(file: string): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-KEPT_LINES).join('\n');
  } catch {
    return `(no output in ${file})`;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());
