import { RelayBackoff } from './relay-backoff';

describe('RelayBackoff', () => {
  it('doubles up to the maximum, each delay jittered within [ceiling/2, ceiling]', () => {
    const low = new RelayBackoff(100, 1_000, () => 0);
    const high = new RelayBackoff(100, 1_000, () => 1);
    expect(Array.from({ length: 6 }, () => low.next())).toEqual([50, 100, 200, 400, 500, 500]);
    expect(Array.from({ length: 6 }, () => high.next())).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  it('starts over after a reset', () => {
    const backoff = new RelayBackoff(100, 1_000, () => 1);
    backoff.next();
    backoff.next();
    expect(backoff.failures).toBe(2);
    backoff.reset();
    expect(backoff.next()).toBe(100);
  });
});
