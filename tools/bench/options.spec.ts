import { parseBenchArgs, UsageError } from './options';

describe('parseBenchArgs', () => {
  it('has the issue defaults: 3000 orders, 64 in flight, 150/s for 20 s, both modes, both phases, DBOS on', () => {
    expect(parseBenchArgs([])).toEqual({
      orders: 3000,
      concurrency: 64,
      rate: 150,
      durationS: 20,
      timeoutMs: 120_000,
      modes: ['choreography', 'orchestration'],
      phases: ['closed', 'fixed'],
      dbos: true,
      soak: false,
      profile: false,
    });
  });

  it('reads every option', () => {
    const opts = parseBenchArgs(
      '--orders 300 --concurrency 8 --rate 50 --duration 5 --timeout 30 --modes orchestration --phases fixed --skip-dbos --profile'.split(
        ' ',
      ),
    );
    expect(opts).toMatchObject({
      orders: 300,
      concurrency: 8,
      rate: 50,
      durationS: 5,
      timeoutMs: 30_000,
      modes: ['orchestration'],
      phases: ['fixed'],
      dbos: false,
      profile: true,
    });
  });

  it('--soak is a fixed-rate run of 180 s unless told otherwise', () => {
    expect(parseBenchArgs(['--soak'])).toMatchObject({ soak: true, durationS: 180, phases: ['fixed'] });
    expect(parseBenchArgs(['--soak', '--duration', '60', '--phases', 'closed,fixed'])).toMatchObject({
      durationS: 60,
      phases: ['closed', 'fixed'],
    });
  });

  it('answers --help', () => {
    expect(parseBenchArgs(['--help'])).toBe('help');
    expect(parseBenchArgs(['-h'])).toBe('help');
  });

  it.each([
    [['--orders', '0'], '--orders must be a whole number ≥ 1 (got 0)'],
    [['--rate', '1.5'], '--rate must be a whole number ≥ 1 (got 1.5)'],
    [['--duration', 'ten'], '--duration must be a whole number ≥ 1 (got ten)'],
    [['--modes', 'saga'], '--modes takes a comma list of choreography, orchestration (got saga)'],
    [['--phases', 'closed,open'], '--phases takes a comma list of closed, fixed (got closed,open)'],
    [['--fast'], "Unknown option '--fast'"],
    [['extra'], 'Unexpected argument'],
  ])('refuses %j', (argv, message) => {
    expect(() => parseBenchArgs(argv)).toThrow(UsageError);
    expect(() => parseBenchArgs(argv)).toThrow(message);
  });
});
