/** First wait before restarting a dead child; each early death in a row doubles it. */
export const RESTART_BACKOFF_FIRST_MS = 500;
/** The longest wait between two restarts. */
export const RESTART_BACKOFF_MAX_MS = 8_000;
/** This many early deaths within CRASH_LOOP_WINDOW_MS is a crash loop: the child is given up. */
export const CRASH_LOOP_DEATHS = 5;
export const CRASH_LOOP_WINDOW_MS = 60_000;
/**
 * A run that stayed healthy this long was a good run: its death is news, not a crash loop, and the
 * backoff starts again from the first step. Dying sooner (or before ever being healthy) is early.
 */
export const STABLE_AFTER_MS = 10_000;

export interface RestartPolicyOptions {
  firstBackoffMs: number;
  maxBackoffMs: number;
  crashLoopDeaths: number;
  crashLoopWindowMs: number;
  stableAfterMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicyOptions = {
  firstBackoffMs: RESTART_BACKOFF_FIRST_MS,
  maxBackoffMs: RESTART_BACKOFF_MAX_MS,
  crashLoopDeaths: CRASH_LOOP_DEATHS,
  crashLoopWindowMs: CRASH_LOOP_WINDOW_MS,
  stableAfterMs: STABLE_AFTER_MS,
};

export type RestartVerdict =
  | { restart: true; inMs: number }
  /** `deaths` early deaths, the first of them `overMs` before the last. */
  | { restart: false; deaths: number; overMs: number };

/**
 * When to restart one child after it died, and when to stop trying. Pure: the caller passes the
 * clock, so the rules are unit-tested without processes (restart-policy.spec.ts).
 */
export class RestartPolicy {
  private readonly options: RestartPolicyOptions;
  /** Times of the early deaths still inside the crash-loop window, oldest first. */
  private earlyDeaths: number[] = [];

  constructor(options: Partial<RestartPolicyOptions> = {}) {
    this.options = { ...DEFAULT_RESTART_POLICY, ...options };
  }

  /** `healthySince`: when the run that just died was first seen healthy (undefined: never). */
  onDeath(now: number, healthySince: number | undefined): RestartVerdict {
    const { firstBackoffMs, maxBackoffMs, crashLoopDeaths, crashLoopWindowMs, stableAfterMs } = this.options;
    if (healthySince !== undefined && now - healthySince >= stableAfterMs) {
      this.earlyDeaths = [];
      return { restart: true, inMs: firstBackoffMs };
    }
    this.earlyDeaths = [...this.earlyDeaths.filter((at) => now - at < crashLoopWindowMs), now];
    const deaths = this.earlyDeaths.length;
    if (deaths >= crashLoopDeaths) return { restart: false, deaths, overMs: now - this.earlyDeaths[0] };
    return { restart: true, inMs: Math.min(firstBackoffMs * 2 ** (deaths - 1), maxBackoffMs) };
  }

  /** Forget the deaths so far (a child given up and then restarted by hand starts afresh). */
  reset(): void {
    this.earlyDeaths = [];
  }
}
