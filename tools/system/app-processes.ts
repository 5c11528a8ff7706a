import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { appEntry, type AppInfo, isHealthy } from './apps';

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

/** Waits until every app answers /health with 200; fails naming an app that exited or never got healthy. */
export async function waitHealthy(apps: readonly RunningApp[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(apps);
  while (pending.size > 0) {
    for (const app of pending) {
      if (app.exit !== undefined) throw new Error(`${app.name} exited (${app.exit}) during start:\n${app.lastLines()}`);
      if (await isHealthy(app.port)) pending.delete(app);
    }
    if (pending.size === 0) return;
    if (Date.now() > deadline) {
      const names = [...pending].map((app) => app.name).join(', ');
      throw new Error(`${names} not healthy after ${timeoutMs / 1000} s (is PostgreSQL or NATS down?)`);
    }
    await new Promise((r) => setTimeout(r, 200));
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
