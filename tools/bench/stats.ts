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
