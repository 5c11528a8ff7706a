import type { LoggerService } from '@nestjs/common';
import type { TransientReason } from '../errors/classify';
import { transientDelayFor, type TransientBackoff } from './nak-delays';
import { describeError, oneLine } from './dead-letter-message';
import type { TransportMetrics } from './transport-metrics';

/** What a pull loop needs to know of the pause. */
export interface PullGate {
  readonly paused: boolean;
  /** Resolves once consuming may go on (at once when not paused). */
  resumed(): Promise<void>;
  /** Called when a pause starts, so a loop can end the pull request it has open. */
  onPause(listener: () => void): void;
}

export interface ConsumerPauseOptions {
  consumer: string;
  /** Resolves when the dependency is back; none: the pause lasts one backoff delay. */
  probe?: () => Promise<unknown>;
  probeTimeoutMs: number;
  backoff: TransientBackoff;
  log: LoggerService;
  metrics: TransportMetrics;
}

interface Pause {
  since: number;
  reason: TransientReason;
  resume: () => void;
  resumed: Promise<void>;
}

/**
 * While a dependency (the app's database) is down, every message would fail the same way: the
 * consumer group stops pulling, a probe is retried with capped backoff, and pulling resumes once
 * it succeeds. Messages stay in the stream meanwhile instead of burning deliveries.
 */
export class ConsumerPause implements PullGate {
  private current?: Pause;
  private readonly listeners: Array<() => void> = [];
  private stopped = false;
  private wakeProbe?: () => void;

  constructor(private readonly options: ConsumerPauseOptions) {}

  get paused(): boolean {
    return this.current !== undefined;
  }

  resumed(): Promise<void> {
    return this.current?.resumed ?? Promise.resolve();
  }

  onPause(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Starts a pause for this failure, unless one is already on. */
  pause(reason: TransientReason, error: unknown): void {
    if (this.current || this.stopped) return;
    let resume!: () => void;
    const resumed = new Promise<void>((resolve) => (resume = resolve));
    this.current = { since: Date.now(), reason, resume, resumed };
    const { consumer, metrics, log } = this.options;
    metrics.paused.set({ consumer, reason }, 1);
    log.warn(`consumer group ${consumer} paused (${reason}): ${oneLine(describeError(error), 300)}`);
    this.listeners.forEach((listener) => listener());
    void this.probeUntilUp();
  }

  /** Ends the pause for good (the transport is closing): loops waiting on it go on and see they must stop. */
  stop(): void {
    this.stopped = true;
    this.wakeProbe?.();
    this.end();
  }

  private async probeUntilUp(): Promise<void> {
    const { probe, backoff, probeTimeoutMs, log, consumer } = this.options;
    for (let attempt = 1; !this.stopped; attempt++) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, transientDelayFor(attempt, backoff));
        this.wakeProbe = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      if (this.stopped) return;
      try {
        if (probe) await withTimeout(probe(), probeTimeoutMs);
        return this.end();
      } catch (error) {
        if (attempt % 10 === 0) {
          log.warn(
            `consumer group ${consumer} still paused after ${attempt} probes: ${oneLine(describeError(error), 300)}`,
          );
        }
      }
    }
  }

  private end(): void {
    const pause = this.current;
    if (!pause) return;
    this.current = undefined;
    const { consumer, metrics, log } = this.options;
    metrics.paused.set({ consumer, reason: pause.reason }, 0);
    if (!this.stopped)
      log.log(`consumer group ${consumer} resumed after ${Date.now() - pause.since} ms paused (${pause.reason})`);
    pause.resume();
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`probe timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
