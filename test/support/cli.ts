import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../../tools/devstack/paths';

export interface CliRun {
  code: number | null;
  out: string;
  err: string;
}

/** Runs `scripts/<script>.ts` as `npm run <script> -- …` would, with `env` over the test's own. */
export function runScript(script: string, args: string[], env: Record<string, string>): Promise<CliRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', `${script}.ts`), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  return new Promise((done) => child.once('exit', (code) => done({ code, out, err })));
}
