import { appEnv, parseBenchArgs, UsageError } from './options';

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
      retentionS: undefined,
    });
    expect(appEnv(parseBenchArgs([]) as { retentionS?: number })).toEqual({}); // the apps' own retention
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

  it('--soak is a fixed-rate run of 180 s with a 60-s retention unless told otherwise', () => {
    expect(parseBenchArgs(['--soak'])).toMatchObject({ soak: true, durationS: 180, phases: ['fixed'], retentionS: 60 });
    expect(parseBenchArgs(['--soak', '--retention', '600'])).toMatchObject({ retentionS: 600 });
    expect(parseBenchArgs(['--soak', '--duration', '60', '--phases', 'closed,fixed'])).toMatchObject({
      durationS: 60,
      phases: ['closed', 'fixed'],
    });
  });

  it('starts the apps with OUTBOX_RETENTION_MS from --retention', () => {
    const opts = parseBenchArgs(['--retention', '90']) as { retentionS?: number };
    expect(opts.retentionS).toBe(90);
    expect(appEnv(opts)).toEqual({ OUTBOX_RETENTION_MS: '90000' });
  });

  it('answers --help', () => {
    expect(parseBenchArgs(['--help'])).toBe('help');
    expect(parseBenchArgs(['-h'])).toBe('help');
  });

  it.each([
    [['--orders', '0'], '--orders must be a whole number ≥ 1 (got 0)'],
    [['--rate', '1.5'], '--rate must be a whole number ≥ 1 (got 1.5)'],
    [['--duration', 'ten'], '--duration must be a whole number ≥ 1 (got ten)'],
    [['--retention', '59'], '--retention must be a whole number ≥ 60 (got 59)'],
    [['--soak', '--retention', '90.5'], '--retention must be a whole number ≥ 60 (got 90.5)'],
    [['--modes', 'saga'], '--modes takes a comma list of choreography, orchestration (got saga)'],
    [['--phases', 'closed,open'], '--phases takes a comma list of closed, fixed (got closed,open)'],
    [['--fast'], "Unknown option '--fast'"],
    [['extra'], 'Unexpected argument'],
  ])('refuses %j', (argv, message) => {
    expect(() => parseBenchArgs(argv)).toThrow(UsageError);
    expect(() => parseBenchArgs(argv)).toThrow(message);
  });
});
