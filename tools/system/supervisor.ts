/**
 * Keeps a set of child processes running: each child's lines prefixed by its name, a child that
 * dies restarted after a backoff, a crash loop given up (restart-policy.ts), stop() graceful.
 * Used by `npm start`; an app being unhealthy (503) is not a death: only an exit restarts it.
 *
 * The children get a process group of their own (detached). A Ctrl-C in a terminal signals the
 * whole foreground group at once: a child in it would start its own shutdown and could exit
 * before our SIGINT handler calls stop(), and a child stopped by Ctrl-C would look like a crash
 * and be restarted. Detached, they hear only us: stop() sends SIGTERM to each child's group.
 * Should this process exit without stop() (an uncaught error), an 'exit' hook SIGKILLs them, so
 * no orphan keeps a port; only a SIGKILL of this process leaves them running.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { COLOURS, type Colour, label, prefixLines } from './prefixed-lines';
import { RestartPolicy, type RestartPolicyOptions } from './restart-policy';

/** How long stop() waits for a child's graceful exit before SIGKILL. */
export const STOP_TIMEOUT_MS = 10_000;
const HEALTH_POLL_MS = 250;
/** After 'exit', how long to wait for the child's pipes to close (a grandchild may hold them). */
const PIPES_GRACE_MS = 1_000;

export interface ChildSpec {
  name: string;
  command: string;
  args?: readonly string[];
  /** The child's whole environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  colour?: Colour;
  /** True when the child serves (e.g. GET /health → 200). Without it, a child is healthy once spawned. */
  health?: () => Promise<boolean>;
}

export interface SupervisorOptions {
  /** The supervisor's own lines (default: `[supervisor] …` on stdout). */
  log?: (line: string) => void;
  /** A child's prefixed line (default: this process's stdout or stderr, as the child wrote it). */
  print?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Colour the prefixes (default: when stdout is a terminal and NO_COLOR is unset). */
  colours?: boolean;
  policy?: Partial<RestartPolicyOptions>;
  stopTimeoutMs?: number;
  /** Ends the give-up line: what the reader should do next. */
  giveUpHint?: string;
}

/** idle: before start(); waiting: dead, restart scheduled. */
export type ChildState = 'idle' | 'starting' | 'healthy' | 'waiting' | 'gave-up' | 'stopped';
export interface ChildEvent {
  name: string;
  pid: number | undefined;
  /** Restarts of this child so far. */
  restarts: number;
}
/** restartInMs is absent when the child is given up (a gaveUp event follows). */
export type DeathEvent = ChildEvent & { code: number | null; signal: NodeJS.Signals | null; restartInMs?: number };
export interface GiveUpEvent {
  name: string;
  deaths: number;
  overMs: number;
}
export interface SupervisorEvents {
  healthy: [ChildEvent];
  died: [DeathEvent];
  restarted: [ChildEvent];
  gaveUp: [GiveUpEvent];
}

interface Run {
  child: ChildProcess;
  ended: Promise<void>;
  healthySince?: number;
}
interface Supervised {
  spec: ChildSpec;
  colour: Colour;
  policy: RestartPolicy;
  state: ChildState;
  restarts: number;
  run?: Run;
  timer?: NodeJS.Timeout;
  restartRequested?: boolean;
}

export class Supervisor extends EventEmitter<SupervisorEvents> {
  private readonly children = new Map<string, Supervised>();
  /** Every state change, for waitHealthy(). */
  private readonly changes = new EventEmitter();
  private readonly log: (line: string) => void;
  private readonly print: (line: string, stream: 'stdout' | 'stderr') => void;
  private readonly colours: boolean;
  private readonly stopTimeoutMs: number;
  private readonly giveUpHint: string;
  private started = false;
  /** Set the moment stop() is called: from then on an exit is never a death. */
  private stopping = false;
  private stopped?: Promise<void>;
  private readonly killAll = () => {
    for (const c of this.children.values()) if (c.run) signalGroup(c.run.child, 'SIGKILL');
  };

  constructor(specs: readonly ChildSpec[], options: SupervisorOptions = {}) {
    super();
    this.log = options.log ?? ((line) => console.log(`[supervisor] ${line}`));
    this.print = options.print ?? ((line, stream) => process[stream].write(`${line}\n`));
    this.colours = options.colours ?? (process.stdout.isTTY === true && !process.env.NO_COLOR);
    this.stopTimeoutMs = options.stopTimeoutMs ?? STOP_TIMEOUT_MS;
    this.giveUpHint = options.giveUpHint ?? 'fix it and start again';
    this.changes.setMaxListeners(0);
    specs.forEach((spec, i) => {
      if (this.children.has(spec.name)) throw new Error(`two children named ${spec.name}`);
      const colour = spec.colour ?? COLOURS[i % COLOURS.length];
      this.children.set(spec.name, {
        spec,
        colour,
        policy: new RestartPolicy(options.policy),
        state: 'idle',
        restarts: 0,
      });
    });
  }

  /** Spawns every child. */
  start(): void {
    if (this.started) throw new Error('the supervisor was already started');
    this.started = true;
    process.on('exit', this.killAll);
    for (const c of this.children.values()) this.spawn(c);
  }

  /** SIGTERM to every child, SIGKILL to those still running after the stop timeout; none is restarted. */
  stop(): Promise<void> {
    this.stopping = true;
    this.stopped ??= this.stopAll();
    return this.stopped;
  }

  /** Stops the child gracefully (not a death) and starts it again; a child given up gets a fresh start. */
  async restart(name: string): Promise<void> {
    const c = this.child(name);
    if (this.stopping || !this.started) throw new Error(`cannot restart ${name}: the supervisor is not running`);
    if (c.run) {
      c.restartRequested = true;
      return this.terminate(c, c.run);
    }
    clearTimeout(c.timer);
    c.policy.reset();
    c.restarts += 1;
    this.respawn(c);
  }

  pid(name: string): number | undefined {
    return this.child(name).run?.child.pid;
  }

  state(name: string): ChildState {
    return this.child(name).state;
  }

  /** Resolves when the child's current run (or, if it is dead, its next) is healthy; fails if it is given up or stopped. */
  waitHealthy(name: string, timeoutMs = 60_000): Promise<void> {
    const c = this.child(name);
    return new Promise((done, fail) => {
      const finish = (error?: Error) => {
        clearTimeout(timer);
        this.changes.off('change', check);
        if (error) fail(error);
        else done();
      };
      const check = () => {
        if (c.state === 'healthy') finish();
        else if (c.state === 'gave-up') finish(new Error(`${name} was given up`));
        else if (this.stopping || c.state === 'stopped') finish(new Error(`${name} was stopped`));
      };
      const timer = setTimeout(
        () => finish(new Error(`${name} was not healthy within ${seconds(timeoutMs)} (${c.state})`)),
        timeoutMs,
      );
      this.changes.on('change', check);
      check();
    });
  }

  private child(name: string): Supervised {
    const c = this.children.get(name);
    if (!c) throw new Error(`no child named ${name}`);
    return c;
  }

  private setState(c: Supervised, state: ChildState): void {
    c.state = state;
    this.changes.emit('change');
  }

  private spawn(c: Supervised): void {
    const env = { ...(c.spec.env ?? process.env) };
    // The children write to pipes; colours on our terminal should stay on in theirs (as concurrently did).
    if (this.colours && env.FORCE_COLOR === undefined) env.FORCE_COLOR = '1';
    const child = spawn(c.spec.command, c.spec.args ?? [], {
      cwd: c.spec.cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const prefix = label(c.spec.name, this.colours ? c.colour : undefined);
    prefixLines(child.stdout, prefix, (line) => this.print(line, 'stdout'));
    prefixLines(child.stderr, prefix, (line) => this.print(line, 'stderr'));
    let end = () => {};
    const run: Run = { child, ended: new Promise<void>((done) => (end = done)) };
    let over = false;
    let grace: NodeJS.Timeout | undefined;
    const ended = (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(grace);
      if (over) return;
      over = true;
      try {
        this.onEnded(c, run, code, signal);
      } finally {
        end();
      }
    };
    // 'close' comes after the last line of output, so a death is logged after the child's last words.
    child.once('close', ended);
    child.once('exit', (code, signal) => (grace = setTimeout(() => ended(code, signal), PIPES_GRACE_MS)));
    child.on('error', (error) => this.log(`${c.spec.name}: ${error.message}`));
    c.run = run;
    this.setState(c, 'starting');
    void this.watchHealth(c, run);
  }

  private respawn(c: Supervised): void {
    this.spawn(c);
    this.emit('restarted', { name: c.spec.name, pid: c.run?.child.pid, restarts: c.restarts });
  }

  private async watchHealth(c: Supervised, run: Run): Promise<void> {
    const probe = c.spec.health;
    const current = () => c.run === run && c.state === 'starting' && !this.stopping;
    if (!probe) {
      run.child.once('spawn', () => {
        if (current()) this.becameHealthy(c, run);
      });
      return;
    }
    while (current()) {
      if ((await probe().catch(() => false)) && current()) return this.becameHealthy(c, run);
      await new Promise((r) => setTimeout(r, HEALTH_POLL_MS));
    }
  }

  private becameHealthy(c: Supervised, run: Run): void {
    run.healthySince = Date.now();
    this.setState(c, 'healthy');
    const event = { name: c.spec.name, pid: run.child.pid, restarts: c.restarts };
    if (c.restarts > 0) this.log(`${c.spec.name} is healthy again (pid ${event.pid}, restart ${c.restarts})`);
    this.emit('healthy', event);
  }

  private onEnded(c: Supervised, run: Run, code: number | null, signal: NodeJS.Signals | null): void {
    if (c.run !== run) return;
    c.run = undefined;
    if (this.stopping) return this.setState(c, 'stopped');
    if (c.restartRequested) {
      c.restartRequested = false;
      c.restarts += 1;
      return this.respawn(c);
    }
    const { name } = c.spec;
    const how = signal !== null ? `signal ${signal}` : `exit code ${code}`;
    const verdict = c.policy.onDeath(Date.now(), run.healthySince);
    const death = { name, pid: run.child.pid, code, signal };
    if (!verdict.restart) {
      this.log(`${name} died (${how})`);
      this.log(
        `${name} keeps crashing (${verdict.deaths} times in ${seconds(verdict.overMs)}): giving up on it; ${this.giveUpHint}`,
      );
      this.setState(c, 'gave-up');
      this.emit('died', { ...death, restarts: c.restarts });
      this.emit('gaveUp', { name, deaths: verdict.deaths, overMs: verdict.overMs });
      return;
    }
    c.restarts += 1;
    this.log(`${name} died (${how}); restarting in ${seconds(verdict.inMs)} (restart ${c.restarts})`);
    this.setState(c, 'waiting');
    c.timer = setTimeout(() => this.stopping || this.respawn(c), verdict.inMs);
    this.emit('died', { ...death, restarts: c.restarts, restartInMs: verdict.inMs });
  }

  private async stopAll(): Promise<void> {
    this.changes.emit('change'); // waitHealthy() callers fail now
    for (const c of this.children.values()) {
      clearTimeout(c.timer);
      if (!c.run && c.state !== 'gave-up') this.setState(c, 'stopped');
    }
    await Promise.all([...this.children.values()].map((c) => (c.run ? this.terminate(c, c.run) : undefined)));
    process.off('exit', this.killAll);
  }

  private async terminate(c: Supervised, run: Run): Promise<void> {
    signalGroup(run.child, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((done) => (timer = setTimeout(() => done(true), this.stopTimeoutMs)));
    const tooLate = await Promise.race([run.ended.then(() => false), late]);
    clearTimeout(timer);
    if (!tooLate) return;
    this.log(`${c.spec.name} did not stop within ${seconds(this.stopTimeoutMs)}: SIGKILL`);
    signalGroup(run.child, 'SIGKILL');
    await run.ended;
  }
}

/** The child leads its own group (detached): signal the group, so helpers it started go too. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** 0.5 s, 1 s, 2 s, 40 s. */
function seconds(ms: number): string {
  const s = ms / 1000;
  return `${s >= 10 ? Math.round(s) : Math.round(s * 100) / 100} s`;
}
