import { planWorkload } from '../compare/workload';
import { BENCH_MIX } from './mix';

describe('BENCH_MIX', () => {
  it('plans 85 % confirmed, 10 % insufficient funds, 5 % out of stock', () => {
    const plan = planWorkload('choreography', 3000, 't', BENCH_MIX);
    const count = (outcome: string) => plan.orders.filter((o) => o.expected === outcome).length;
    expect([count('CONFIRMED'), count('INSUFFICIENT_FUNDS'), count('OUT_OF_STOCK')]).toEqual([2550, 300, 150]);
  });
});
