import { RestartPolicy } from './restart-policy';

const policy = () =>
  new RestartPolicy({
    firstBackoffMs: 500,
    maxBackoffMs: 2_000,
    crashLoopDeaths: 5,
    crashLoopWindowMs: 60_000,
    stableAfterMs: 10_000,
  });

describe('RestartPolicy', () => {
  it('doubles the wait after each early death, up to the cap', () => {
    const p = policy();
    // Never healthy: every death is early.
    expect([1_000, 2_000, 3_000, 4_000].map((now) => p.onDeath(now, undefined))).toEqual([
      { restart: true, inMs: 500 },
      { restart: true, inMs: 1_000 },
      { restart: true, inMs: 2_000 },
      { restart: true, inMs: 2_000 },
    ]);
  });

  it('gives up at the fifth early death inside the window, saying how many and over how long', () => {
    const p = policy();
    for (const now of [0, 10_000, 20_000, 30_000]) expect(p.onDeath(now, undefined).restart).toBe(true);
    expect(p.onDeath(40_000, undefined)).toEqual({ restart: false, deaths: 5, overMs: 40_000 });
  });

  it('forgets early deaths older than the window', () => {
    const p = policy();
    for (const now of [0, 20_000, 40_000, 50_000]) p.onDeath(now, undefined);
    // At 65 s the death at 0 is out of the window: four in it, not five.
    expect(p.onDeath(65_000, undefined)).toEqual({ restart: true, inMs: 2_000 });
  });

  it('counts a death soon after becoming healthy as early', () => {
    const p = policy();
    p.onDeath(1_000, undefined);
    expect(p.onDeath(10_000, 5_000)).toEqual({ restart: true, inMs: 1_000 });
  });

  it('starts the backoff and the count afresh after a run that stayed healthy long enough', () => {
    const p = policy();
    for (const now of [0, 1_000, 2_000, 3_000]) p.onDeath(now, undefined);
    expect(p.onDeath(20_000, 5_000)).toEqual({ restart: true, inMs: 500 });
    // The four early deaths before it no longer count: this one is the first of a new series.
    expect(p.onDeath(21_000, undefined)).toEqual({ restart: true, inMs: 500 });
  });

  it('starts afresh after reset()', () => {
    const p = policy();
    for (const now of [0, 1_000, 2_000, 3_000]) p.onDeath(now, undefined);
    p.reset();
    expect(p.onDeath(4_000, undefined)).toEqual({ restart: true, inMs: 500 });
  });
});
