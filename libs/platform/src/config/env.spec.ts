import { InvalidConfigError, appEnvSchema, bodyLimitBytes, parseEnv, resolveNatsCredentials } from './env';

describe('parseEnv(appEnvSchema)', () => {
  const schema = appEnvSchema('ORDER_DATABASE_URL', 3001);
  const valid = {
    ORDER_DATABASE_URL: 'postgresql://u:p@localhost:5432/passo_order',
    NATS_URL: 'nats://127.0.0.1:4222',
    NATS_PASSWORD: 'order-secret',
  };

  it('applies defaults and coerces numbers', () => {
    expect(parseEnv(schema, valid)).toMatchObject({
      PORT: 3001,
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
      DATABASE_POOL_SIZE: 10,
    });
    expect(parseEnv(schema, { ...valid, PORT: '8080' }).PORT).toBe(8080);
  });

  it('keeps published outbox rows and inbox records a day unless OUTBOX_RETENTION_MS says otherwise, a minute at least', () => {
    expect(parseEnv(schema, valid).OUTBOX_RETENTION_MS).toBe(86_400_000);
    expect(parseEnv(schema, { ...valid, OUTBOX_RETENTION_MS: '60000' }).OUTBOX_RETENTION_MS).toBe(60_000);
    expect(catchError(() => parseEnv(schema, { ...valid, OUTBOX_RETENTION_MS: '59999' })).problems).toEqual([
      'OUTBOX_RETENTION_MS Too small: expected number to be >=60000',
    ]);
  });

  it('refuses an OUTBOX_RETENTION_MS shorter than two MESSAGING_ACK_WAIT_MS, naming both', () => {
    const short = { ...valid, OUTBOX_RETENTION_MS: '119999', MESSAGING_ACK_WAIT_MS: '60000' };
    expect(catchError(() => parseEnv(schema, short)).problems).toEqual([
      'OUTBOX_RETENTION_MS must be at least 2 × MESSAGING_ACK_WAIT_MS, 120000 here: an inbox record must outlive any redelivery of its message',
    ]);
    expect(parseEnv(schema, { ...short, OUTBOX_RETENTION_MS: '120000' }).OUTBOX_RETENTION_MS).toBe(120_000);
    // Against the default ack wait (30 s) too; and each bad value named once, not again by the comparison.
    expect(() => parseEnv(schema, { ...valid, OUTBOX_RETENTION_MS: '60000' })).not.toThrow();
    expect(catchError(() => parseEnv(schema, { ...short, MESSAGING_ACK_WAIT_MS: 'soon' })).problems).toEqual([
      'MESSAGING_ACK_WAIT_MS Invalid input: expected number, received NaN',
    ]);
  });

  it('accepts several NATS servers', () => {
    expect(() => parseEnv(schema, { ...valid, NATS_URL: 'nats://a:4222,nats://b:4222' })).not.toThrow();
  });

  it('names every missing variable', () => {
    const error = catchError(() => parseEnv(schema, {}));
    expect(error.problems).toEqual([
      'NATS_URL is required but not set',
      'ORDER_DATABASE_URL is required but not set',
      'NATS_PASSWORD (or ORDER_NATS_PASSWORD) is required but not set',
    ]);
  });

  it("takes the app's NATS user from NATS_USER/NATS_PASSWORD, else the per-app names of a shared .env", () => {
    const { NATS_PASSWORD: _, ...shared } = { ...valid, ORDER_NATS_USER: 'order-service', ORDER_NATS_PASSWORD: 'p1' };
    expect(() => parseEnv(schema, shared)).not.toThrow();
    expect(resolveNatsCredentials(shared, 'ORDER_DATABASE_URL', 'order-service')).toEqual({
      NATS_USER: 'order-service',
      NATS_PASSWORD: 'p1',
    });
    const both = { ...shared, NATS_USER: 'other', NATS_PASSWORD: 'p2' };
    expect(resolveNatsCredentials(both, 'ORDER_DATABASE_URL', 'order-service')).toEqual({
      NATS_USER: 'other',
      NATS_PASSWORD: 'p2',
    });
    expect(catchError(() => parseEnv(schema, { ...valid, NATS_PASSWORD: '' })).problems).toEqual([
      'NATS_PASSWORD must not be empty',
    ]);
    // The user defaults to the app's name: the users of deploy/nats-server.conf are named after the apps.
    expect(resolveNatsCredentials(valid, 'ORDER_DATABASE_URL', 'order-service').NATS_USER).toBe('order-service');
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['NATS_URL', 'localhost:4222'],
    ['ORDER_DATABASE_URL', 'mysql://u:p@h/db'],
    ['LOG_LEVEL', 'loud'],
    ['HTTP_BODY_LIMIT', 'huge'],
    ['OUTBOX_RETENTION_MS', '1000'],
  ])('names %s when its value (%s) is bad, without echoing the value', (name, value) => {
    const error = catchError(() => parseEnv(schema, { ...valid, [name]: value }));
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(new RegExp(`^${name} `));
    expect(error.message).not.toContain(value);
  });
});

describe('bodyLimitBytes', () => {
  it.each([
    ['512b', 512],
    ['100kb', 102_400],
    ['2KB', 2_048],
    ['1mb', 1_048_576],
  ])('reads %s as %d bytes (1kb = 1,024 bytes)', (limit, bytes) => {
    expect(bodyLimitBytes(limit)).toBe(bytes);
  });

  it('refuses what the schema would refuse', () => {
    expect(() => bodyLimitBytes('huge')).toThrow('HTTP_BODY_LIMIT huge must look like 100kb');
  });
});

function catchError(fn: () => unknown): InvalidConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof InvalidConfigError) return error;
    throw error;
  }
  throw new Error('expected an InvalidConfigError');
}
