import { DEFAULT_BACKOFF_MS, delayFor, transientDelayFor } from './nak-delays';

describe('delayFor', () => {
  const lowest = () => 0;
  const highest = () => 0.999_999;

  it('follows the list per attempt, the last entry repeating', () => {
    const middle = () => 0.5;
    expect([1, 2, 3, 4, 5, 6, 9].map((attempt) => delayFor(attempt, DEFAULT_BACKOFF_MS, middle))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 16_000, 16_000,
    ]);
  });

  it('keeps the jitter within ±20% of the step', () => {
    expect(delayFor(2, [1_000, 2_000], lowest)).toBe(1_600);
    expect(delayFor(2, [1_000, 2_000], highest)).toBe(2_400);
    for (let i = 0; i < 1_000; i++) {
      const delay = delayFor(1, [500]);
      expect(delay).toBeGreaterThanOrEqual(400);
      expect(delay).toBeLessThanOrEqual(600);
    }
  });

  it('never goes below the first step for a nonsense attempt number', () => {
    expect(delayFor(0, [100, 200], lowest)).toBe(80);
    expect(delayFor(-3, [100, 200], lowest)).toBe(80);
  });

  it('grows with the attempt even at the worst jitter for the default list', () => {
    for (let attempt = 1; attempt < DEFAULT_BACKOFF_MS.length; attempt++) {
      expect(delayFor(attempt + 1, DEFAULT_BACKOFF_MS, lowest)).toBeGreaterThan(
        delayFor(attempt, DEFAULT_BACKOFF_MS, highest),
      );
    }
  });
});

describe('transientDelayFor', () => {
  const backoff = { initialMs: 500, maxMs: 20_000 };

  it('doubles from initialMs up to maxMs, then stays there', () => {
    const none = () => 0;
    expect([1, 2, 3, 4, 5, 6, 7, 8, 50, 10_000].map((n) => transientDelayFor(n, backoff, none))).toEqual([
      500, 1_000, 2_000, 4_000, 8_000, 16_000, 20_000, 20_000, 20_000, 20_000,
    ]);
  });

  it('jitters down by at most 20%, never above the cap', () => {
    expect(transientDelayFor(1, backoff, () => 0.999_999)).toBe(400);
    expect(transientDelayFor(9, backoff, () => 0.5)).toBe(18_000);
    for (let i = 0; i < 1_000; i++) {
      const delay = transientDelayFor(1 + (i % 12), backoff);
      expect(delay).toBeGreaterThanOrEqual(400);
      expect(delay).toBeLessThanOrEqual(20_000);
    }
  });

  it('treats a nonsense attempt number as the first', () => {
    expect(transientDelayFor(0, backoff, () => 0)).toBe(500);
    expect(transientDelayFor(-2, backoff, () => 0)).toBe(500);
  });
});
