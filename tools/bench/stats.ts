import { percentile } from './percentile';

export { percentile };

export interface Spread {
  count: number;
  p50?: number;
  p95?: number;
  p99?: number;
  max?: number;
}

/** p50/p95/p99/max (nearest rank) of any list of numbers; the list is not changed. */
export function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.at(-1),
  };
}

/**
 * The smallest and largest of `values` (Infinity / -Infinity for none). A loop, not
 * Math.min(...values): a long run at a high rate has more values than a call takes arguments
 * (~120,000 on Node 20).
 */
export function extent(values: readonly number[]): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

/** Settled sagas per second: settled ÷ (last settlement − first placement); undefined for none. */
export function throughput(orders: readonly { createdMs: number; updatedMs: number }[]): number | undefined {
  if (orders.length === 0) return undefined;
  let first = Infinity;
  let last = -Infinity;
  for (const { createdMs, updatedMs } of orders) {
    first = Math.min(first, createdMs);
    last = Math.max(last, updatedMs);
  }
  return last > first ? orders.length / ((last - first) / 1000) : undefined;
}

/**
 * The p99 latency (updated − created) of the orders placed in each of `slices` equal slices of the
 * phase's placement time: a tail made at the start (cold code, a backlog) reads apart from one
 * that lasts, whatever the phase's length.
 */
export function p99BySlice(
  orders: readonly { createdMs: number; updatedMs: number }[],
  slices: number,
): (number | undefined)[] {
  if (orders.length === 0) return [];
  const { min: first, max: last } = extent(orders.map((o) => o.createdMs));
  const widthMs = (last - first) / slices;
  const latencies = Array.from({ length: slices }, () => [] as number[]);
  for (const { createdMs, updatedMs } of orders) {
    const slice = widthMs > 0 ? Math.min(slices - 1, Math.floor((createdMs - first) / widthMs)) : 0;
    latencies[slice].push(updatedMs - createdMs);
  }
  return latencies.map((values) => spread(values).p99);
}
