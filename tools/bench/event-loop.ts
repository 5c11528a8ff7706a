/** How busy an app's event loop was over a phase, from its /metrics (the scrape before it reset both). */
export interface EventLoopReading {
  /** Share of the time the loop was busy (passo_nodejs_eventloop_utilization), 0 to 1. */
  busy: number;
  /** 99th percentile of its delay, ms (passo_nodejs_eventloop_lag_p99_seconds). */
  delayP99Ms: number;
}

const value = (text: string, name: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  const v = line === undefined ? NaN : Number(line.slice(line.lastIndexOf(' ') + 1));
  return Number.isFinite(v) ? v : undefined;
};

/** The reading in a Prometheus text exposition; undefined when either figure is missing. */
export function parseEventLoop(metrics: string): EventLoopReading | undefined {
  const busy = value(metrics, 'passo_nodejs_eventloop_utilization');
  const delay = value(metrics, 'passo_nodejs_eventloop_lag_p99_seconds');
  return busy === undefined || delay === undefined ? undefined : { busy, delayP99Ms: delay * 1000 };
}

/**
 * Scrapes an app's /metrics: the figures since the previous scrape (both reset on each), so a phase
 * scrapes once at its start (discarded) and once at its end. Two requests per phase: no polling.
 */
export async function scrapeEventLoop(metricsUrl: string): Promise<EventLoopReading | undefined> {
  try {
    const response = await fetch(metricsUrl, { signal: AbortSignal.timeout(5_000) });
    return response.ok ? parseEventLoop(await response.text()) : undefined;
  } catch {
    return undefined; // a figure missing from the table, not a failed bench
  }
}
