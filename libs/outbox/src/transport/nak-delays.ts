/**
 * How long a consumer waits before a failed message comes back (the delay of its nak): a list per
 * attempt for a handler's own failures, capped doubling for transient ones (also the pause's
 * probes of the database). The relay's own retry is outbox/relay-backoff.ts.
 */
export const DEFAULT_BACKOFF_MS: readonly number[] = Object.freeze([1_000, 2_000, 4_000, 8_000, 16_000]);

/** ±20%: replicas that failed on the same outage do not all retry in the same instant. */
export const BACKOFF_JITTER = 0.2;

/**
 * Nak delay after the `attempt`-th failed delivery (1-based): `backoffMs[attempt - 1]`, the last
 * entry repeating once the list runs out, scaled by a random factor in [0.8, 1.2].
 */
export function delayFor(attempt: number, backoffMs: readonly number[], random: () => number = Math.random): number {
  const index = Math.min(Math.max(Math.floor(attempt), 1), backoffMs.length) - 1;
  const jitter = 1 - BACKOFF_JITTER + 2 * BACKOFF_JITTER * random();
  return Math.round(backoffMs[index] * jitter);
}

/** Capped exponential backoff for transient (infrastructure) failures and outage probes. */
export interface TransientBackoff {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_TRANSIENT_BACKOFF: Readonly<TransientBackoff> = Object.freeze({ initialMs: 500, maxMs: 20_000 });

/**
 * Delay before the `attempt`-th retry (1-based) after a transient failure: `initialMs` doubling
 * up to `maxMs`, jittered down by up to 20% so it never exceeds the cap and replicas that failed on
 * the same outage spread their retries.
 */
export function transientDelayFor(
  attempt: number,
  { initialMs, maxMs }: TransientBackoff,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(Math.floor(attempt), 1) - 1, 30);
  const capped = Math.min(maxMs, initialMs * 2 ** exponent);
  return Math.round(capped * (1 - BACKOFF_JITTER * random()));
}
