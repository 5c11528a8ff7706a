import { InvalidConfigError, appEnvSchema, parseEnv } from './env';

describe('parseEnv(appEnvSchema)', () => {
  const schema = appEnvSchema('ORDER_DATABASE_URL', 3001);
  const valid = {
    ORDER_DATABASE_URL: 'postgresql://u:p@localhost:5432/passo_order',
    NATS_URL: 'nats://127.0.0.1:4222',
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
    expect(error.problems).toEqual(['NATS_URL is required but not set', 'ORDER_DATABASE_URL is required but not set']);
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
