import { isDatabaseUnavailable } from './database-unavailable.filter';

describe('isDatabaseUnavailable', () => {
  it.each([
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5999'), { code: 'ECONNREFUSED' }),
    Object.assign(new Error('boom'), { name: 'PrismaClientInitializationError' }),
    Object.assign(new Error('server closed'), { code: '57P01' }),
    new Error('wrapped', { cause: new Error('timeout exceeded when trying to connect') }),
  ])('recognises %s', (error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    new Error('Unique constraint failed'),
    Object.assign(new Error('x'), { code: 'P2002' }),
    'ECONNREFUSED',
    null,
  ])('leaves other failures alone: %s', (error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});
