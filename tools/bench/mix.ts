import type { Mix } from '../compare/workload';

/**
 * The bench's mix (issue 11): 85 % meant to be confirmed, 10 % insufficient funds (compensated:
 * stock released), 5 % out of stock (cancelled at the first step). Interleaved over each 20 orders.
 * (compare's mix, six in ten confirmed with unknown SKUs and customers, tests the paths; this one
 * is a shop's day.)
 */
export const BENCH_MIX: Mix = [
  ...Array<'ok'>(6).fill('ok'),
  'INSUFFICIENT_FUNDS',
  ...Array<'ok'>(4).fill('ok'),
  'OUT_OF_STOCK',
  ...Array<'ok'>(4).fill('ok'),
  'INSUFFICIENT_FUNDS',
  ...Array<'ok'>(3).fill('ok'),
];
