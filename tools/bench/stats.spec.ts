import { extent, p99BySlice, percentile, spread, throughput } from './stats';

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

describe('p99BySlice', () => {
  it('takes the p99 of each equal slice of placement time apart', () => {
    const orders = [
      { createdMs: 1_000, updatedMs: 1_500 }, // slice 0: 500 ms
      { createdMs: 1_900, updatedMs: 1_910 }, // slice 0: 10 ms
      { createdMs: 2_100, updatedMs: 2_120 }, // slice 1: 20 ms
      { createdMs: 3_000, updatedMs: 3_030 }, // the last placement: in the last slice, 30 ms
    ];
    expect(p99BySlice(orders, 2)).toEqual([500, 30]);
  });

  it('leaves a slice with no placement undefined; all in one when placed at once; none for no orders', () => {
    const orders = [
      { createdMs: 0, updatedMs: 5 },
      { createdMs: 3_000, updatedMs: 3_007 },
    ];
    expect(p99BySlice(orders, 3)).toEqual([5, undefined, 7]);
    expect(
      p99BySlice(
        [
          { createdMs: 9, updatedMs: 11 },
          { createdMs: 9, updatedMs: 19 },
        ],
        4,
      ),
    ).toEqual([10, undefined, undefined, undefined]);
    expect(p99BySlice([], 4)).toEqual([]);
  });
});

describe('extent', () => {
  it('finds the smallest and largest of more values than a call takes arguments', () => {
    const values = Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 300_000);
    expect(extent(values)).toEqual({ min: 0, max: 299_999 });
    expect(extent([])).toEqual({ min: Infinity, max: -Infinity });
  });
});
