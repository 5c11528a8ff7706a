import { spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** `npm run demo:dual-write` as the speaker runs it, on the suite's servers (it reuses running ones). */
function runDemo(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((done) => {
    const child = spawn(
      process.execPath,
      [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'scripts/demo/dual-write.ts', ...args],
      {
        cwd: ROOT,
        env: { ...process.env, FORCE_COLOR: '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let [out, err] = ['', ''];
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('close', (code) => done({ code, out, err }));
  });
}

/** The table's row `name`, as cells (the columns are the scenarios, in order). */
function row(out: string, name: string): string[] {
  const line = out.split('\n').find((l) => l.startsWith(name));
  if (!line) throw new Error(`no row "${name}" in:\n${out}`);
  return line
    .slice(name.length)
    .replace(/^ [¹²³⁴⁵⁶⁷⁸⁹⁰]+/, '') // the row's footnote mark
    .trim()
    .split(/\s{3,}/);
}

describe('npm run demo:dual-write', () => {
  it('prints the five columns side by side; the outbox and the inbox come out clean, exit 0', async () => {
    const { code, out, err } = await runDemo(['--orders', '12', '--seed', '1']);
    expect({ code, err: code === 0 ? '' : err }).toEqual({ code: 0, err: '' });
    const header = out.split('\n').find((l) => l.includes('publish-after-commit'))!;
    expect(header.trim().split(/\s{3,}/)).toEqual([
      'outbox',
      'publish-after-commit',
      'publish-before-commit',
      'inbox off + redeliver',
      'inbox on + redeliver',
    ]);
    const verdicts = row(out, 'the auditor says');
    expect([verdicts[0], verdicts[4]]).toEqual(['clean', 'clean']);
    // What the outbox columns must never show, whatever the faults drew.
    for (const name of [
      'stuck (PENDING)',
      'events lost',
      'ghost effects',
      'money drift (cents)',
      'stock drift (units)',
    ]) {
      const cells = row(out, name);
      expect([name, cells[0], cells[4]]).toEqual([name, '0', '0']);
    }
    expect(err).toMatch(/5\/5 inbox on \+ redeliver/);
  }, 240_000);

  it('refuses a bad option, naming it, with exit 2', async () => {
    const { code, err } = await runDemo(['--orders', 'many']);
    expect(code).toBe(2);
    expect(err).toMatch(/--orders must be a whole number/);
  });
});
