import { InvalidConfigError, appEnvSchema, parseEnv, resolveNatsCredentials } from './env';

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
  ])('names %s when its value (%s) is bad, without echoing the value', (name, value) => {
    const error = catchError(() => parseEnv(schema, { ...valid, [name]: value }));
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(new RegExp(`^${name} `));
    expect(error.message).not.toContain(value);
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
