import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { isHealthy } from '../../tools/system/apps';
import { ROOT } from '../../tools/devstack/paths';
import {
  type ChildSpec,
  Supervisor,
  type SupervisorEvents,
  type SupervisorOptions,
} from '../../tools/system/supervisor';
import { freePort } from '../support/app-process';
import { eventually } from '../support/eventually';

/**
 * tools/system/supervisor.ts with real processes: test/infra/fixtures/health-child.ts serves
 * /health on a free port (or crashes at once), and each test reads the supervisor's events, log
 * and the children's pids. Backoffs are shortened; the rules themselves are restart-policy.spec.ts.
 */
const CHILD = join(__dirname, 'fixtures', 'health-child.ts');
const SUPERVISE = join(__dirname, 'fixtures', 'supervise.ts');
const FAST = { firstBackoffMs: 50, maxBackoffMs: 200, crashLoopDeaths: 3, crashLoopWindowMs: 60_000 };

type Recorded = { [E in keyof SupervisorEvents]: [E, SupervisorEvents[E][0]] }[keyof SupervisorEvents];

async function healthChild(name: string, env: Record<string, string> = {}): Promise<ChildSpec & { port: number }> {
  const port = await freePort();
  return {
    name,
    port,
    command: process.execPath,
    args: ['--import', 'tsx', CHILD],
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), ...env },
    health: () => isHealthy(port),
  };
}

const alive = (pid: number | undefined) => {
  try {
    return pid !== undefined && process.kill(pid, 0);
  } catch {
    return false;
  }
};

describe('Supervisor', () => {
  const running: Supervisor[] = [];
  let driver: ChildProcess | undefined;
  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.stop()));
    if (driver?.exitCode === null && driver.signalCode === null) process.kill(-driver.pid!, 'SIGKILL');
  });

  /** A supervisor whose log, children's lines and events the test reads; stopped after each test. */
  function supervise(children: ChildSpec[], options: SupervisorOptions = {}) {
    const logs: string[] = [];
    const lines: { line: string; stream: string }[] = [];
    const events: Recorded[] = [];
    const supervisor = new Supervisor(children, {
      log: (line) => logs.push(line),
      print: (line, stream) => lines.push({ line, stream }),
      colours: false,
      policy: FAST,
      stopTimeoutMs: 5_000,
      ...options,
    });
    supervisor.on('healthy', (e) => events.push(['healthy', e]));
    supervisor.on('died', (e) => events.push(['died', e]));
    supervisor.on('restarted', (e) => events.push(['restarted', e]));
    supervisor.on('gaveUp', (e) => events.push(['gaveUp', e]));
    running.push(supervisor);
    const of = (name: string) => events.filter(([, e]) => e.name === name).map(([kind]) => kind);
    return { supervisor, logs, lines, events, of };
  }

  it('restarts a child killed with SIGKILL until it is healthy again; the others keep their pids', async () => {
    const children = [await healthChild('a'), await healthChild('b'), await healthChild('c')];
    const { supervisor, logs, of } = supervise(children);
    supervisor.start();
    await Promise.all(['a', 'b', 'c'].map((name) => supervisor.waitHealthy(name)));
    const [a, b, c] = ['a', 'b', 'c'].map((name) => supervisor.pid(name));

    const died = once(supervisor, 'died');
    process.kill(b!, 'SIGKILL');
    expect((await died)[0]).toMatchObject({ name: 'b', pid: b, signal: 'SIGKILL', restartInMs: 50, restarts: 1 });
    await supervisor.waitHealthy('b');

    expect(supervisor.pid('b')).not.toBe(b);
    expect(await isHealthy(children[1].port)).toBe(true);
    expect([supervisor.pid('a'), supervisor.pid('c')]).toEqual([a, c]);
    expect([alive(a), alive(b), alive(c)]).toEqual([true, false, true]);
    expect(of('b')).toEqual(['healthy', 'died', 'restarted', 'healthy']);
    expect(logs).toContain('b died (signal SIGKILL); restarting in 0.05 s (restart 1)');
    expect(logs).toContain(`b is healthy again (pid ${supervisor.pid('b')}, restart 1)`);
  });

  it('gives up a child that always crashes after the configured number of deaths; the others keep running', async () => {
    const { supervisor, logs, lines, of } = supervise([
      await healthChild('ok'),
      await healthChild('crasher', { CRASH_AT_ONCE: '1' }),
    ]);
    const gaveUp = once(supervisor, 'gaveUp');
    supervisor.start();
    const ok = supervisor.pid('ok');

    expect((await gaveUp)[0]).toMatchObject({ name: 'crasher', deaths: 3 });
    expect(supervisor.state('crasher')).toBe('gave-up');
    expect(supervisor.pid('crasher')).toBeUndefined();
    await expect(supervisor.waitHealthy('crasher')).rejects.toThrow('crasher was given up');
    await supervisor.waitHealthy('ok');
    expect(supervisor.pid('ok')).toBe(ok);
    expect(logs).toContainEqual(
      expect.stringMatching(
        /^crasher keeps crashing \(3 times in [\d.]+ s\): giving up on it; fix it and start again$/,
      ),
    );
    expect(lines).toContainEqual({ line: '[crasher] crashing at once', stream: 'stderr' });

    await supervisor.stop();
    // Three runs (two restarts), none after giving up; the healthy child was never touched.
    expect(of('crasher')).toEqual(['died', 'restarted', 'died', 'restarted', 'died', 'gaveUp']);
    expect(of('ok')).toEqual(['healthy']);
  });

  it('stop() stops every child and restarts none of them', async () => {
    const { supervisor, events, logs } = supervise([await healthChild('a'), await healthChild('b')]);
    supervisor.start();
    await Promise.all(['a', 'b'].map((name) => supervisor.waitHealthy(name)));
    const pids = ['a', 'b'].map((name) => supervisor.pid(name));

    await supervisor.stop();

    expect(pids.map(alive)).toEqual([false, false]);
    expect(['a', 'b'].map((name) => supervisor.state(name))).toEqual(['stopped', 'stopped']);
    // Their exits during stop() are not deaths: a death is where a restart would be scheduled.
    expect(events.filter(([kind]) => kind !== 'healthy')).toEqual([]);
    expect(logs).toEqual([]);
    await expect(supervisor.restart('a')).rejects.toThrow('not running');
  });

  it('does not restart a child that exits on its own, or is killed, while stop() waits for it', async () => {
    const { supervisor, events, logs } = supervise([
      await healthChild('failing', { ON_SIGTERM: 'fail-later' }), // exit 1, 200 ms after SIGTERM
      await healthChild('stubborn', { ON_SIGTERM: 'ignore' }),
    ]);
    supervisor.start();
    await Promise.all(['failing', 'stubborn'].map((name) => supervisor.waitHealthy(name)));
    const pids = ['failing', 'stubborn'].map((name) => supervisor.pid(name));

    const stopped = supervisor.stop();
    process.kill(pids[1]!, 'SIGKILL'); // before the 5-s stop timeout, so not the supervisor's SIGKILL
    await stopped;

    expect(pids.map(alive)).toEqual([false, false]);
    expect(events.filter(([kind]) => kind !== 'healthy')).toEqual([]);
    expect(logs).toEqual([]);
  });

  it('SIGKILLs a child that ignores SIGTERM once the stop timeout has passed', async () => {
    const { supervisor, logs } = supervise([await healthChild('stubborn', { ON_SIGTERM: 'ignore' })], {
      stopTimeoutMs: 500,
    });
    supervisor.start();
    await supervisor.waitHealthy('stubborn');
    const pid = supervisor.pid('stubborn');

    await supervisor.stop();

    expect(alive(pid)).toBe(false);
    expect(logs).toEqual(['stubborn did not stop within 0.5 s: SIGKILL']);
  });

  it('restart(name) replaces the process without counting a death', async () => {
    const { supervisor, of } = supervise([await healthChild('a')]);
    supervisor.start();
    await supervisor.waitHealthy('a');
    const before = supervisor.pid('a');

    await supervisor.restart('a');
    await supervisor.waitHealthy('a');

    expect(supervisor.pid('a')).not.toBe(before);
    expect(alive(before)).toBe(false);
    expect(of('a')).toEqual(['healthy', 'restarted', 'healthy']);
  });

  it.each([
    [false, '[a]'],
    [true, '\u001b[36m[a]\u001b[0m'],
  ])(
    'prefixes each line with the child name (colours %s), on the stream it was written to',
    async (colours, prefix) => {
      const child = await healthChild('a');
      const { supervisor, lines } = supervise([child], { colours });
      supervisor.start();
      await supervisor.waitHealthy('a');
      await supervisor.stop(); // its last line, without a newline, is written when its pipe closes

      // stdout and stderr are two pipes: their lines may interleave either way.
      expect(lines.filter(({ stream }) => stream === 'stdout')).toEqual([
        { line: `${prefix} listening on :${child.port}`, stream: 'stdout' },
      ]);
      expect(lines.filter(({ stream }) => stream === 'stderr')).toEqual([
        { line: `${prefix} a line on stderr`, stream: 'stderr' },
        { line: `${prefix} and a last one without a newline`, stream: 'stderr' },
      ]);
    },
  );

  it('a Ctrl-C to the whole process group stops the supervised children and restarts none', async () => {
    const ports = [await freePort(), await freePort()];
    // Its own group, as a terminal's foreground job is: the SIGINT below reaches every process in it.
    const spawned = spawn(process.execPath, ['--import', 'tsx', SUPERVISE], {
      cwd: ROOT,
      env: { ...process.env, PORTS: ports.join(',') },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    driver = spawned;
    let output = '';
    spawned.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    spawned.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = once(spawned, 'exit');
    const healthy = await eventually(() => /^healthy (\d+) (\d+)$/m.exec(output), 30_000);
    const pids = healthy!.slice(1).map(Number);

    process.kill(-spawned.pid!, 'SIGINT');

    expect(await exited).toEqual([0, null]);
    expect(output).toContain('[supervise] stopped');
    expect(output).not.toMatch(/died|restarting/);
    expect(pids.map(alive)).toEqual([false, false]);
  });
});
