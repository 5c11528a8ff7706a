import { type ChildProcess, spawn } from 'node:child_process';
import { ROOT } from '../../tools/devstack/paths';

export interface FixtureChild {
  child: ChildProcess;
  /** The signal or exit code it ended with. */
  exited: Promise<NodeJS.Signals | number | null>;
  /** Everything it wrote so far, stdout and stderr. */
  output(): string;
}

/** Runs a TypeScript fixture (through tsx) in a child process of its own, for tests that kill it. */
export function spawnFixture(script: string, env: Record<string, string>): FixtureChild {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<NodeJS.Signals | number | null>((done) =>
    child.once('exit', (code, signal) => done(signal ?? code)),
  );
  return { child, exited, output: () => output };
}
