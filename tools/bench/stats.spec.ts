import { percentile, spread, throughput } from './stats';

describe('percentile and spread', () => {
  it('takes the nearest rank of an ascending list', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([percentile(values, 50), percentile(values, 95), percentile(values, 99), percentile(values, 100)]).toEqual([
      50, 95, 99, 100,
    ]);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeUndefined();
  });

  it('sorts a copy, and says nothing of an empty list', () => {
    const values = [30, 10, 20];
    expect(spread(values)).toEqual({ count: 3, p50: 20, p95: 30, p99: 30, max: 30 });
    expect(values).toEqual([30, 10, 20]);
    expect(spread([])).toEqual({ count: 0, p50: undefined, p95: undefined, p99: undefined, max: undefined });
  });
});

describe('throughput', () => {
  it('is settled orders over first placement to last settlement', () => {
    const orders = [
      { createdMs: 1_000, updatedMs: 1_500 },
      { createdMs: 1_200, updatedMs: 3_000 },
      { createdMs: 2_000, updatedMs: 2_100 },
      { createdMs: 2_500, updatedMs: 2_900 },
    ];
    expect(throughput(orders)).toBe(2); // 4 orders in 2 s
    expect(throughput([])).toBeUndefined();
  });
});
