import { PrismaClientInitializationError, PrismaClientKnownRequestError } from '@prisma/client/runtime/client';
import { DriverAdapterError } from '@prisma/driver-adapter-utils';
import { NatsError } from 'nats';
import { classifyFailure, judgeFailure, type FailureVerdict } from './classify';
import { MessageRejectedError } from './message-rejected.error';

/**
 * The shapes below were recorded (2026-12-01) from Prisma 7.10 + @prisma/adapter-pg against an
 * embedded PostgreSQL 18.4 that was stopped, killed, shut down or starved on purpose; each is
 * rebuilt with the same classes, codes, messages and meta the client threw.
 */
const clientVersion = '7.10.1';
const adapterError = (cause: Record<string, unknown>) => new DriverAdapterError(cause as never);
const known = (message: string, code: string, cause?: Record<string, unknown>, modelName?: string) =>
  new PrismaClientKnownRequestError(message, {
    code,
    clientVersion,
    meta: cause ? { ...(modelName ? { modelName } : {}), driverAdapterError: adapterError(cause) } : {},
  });
const plain = (message: string) => Object.assign(new Error(message), { clientVersion });
const raw = (code: string, message: string) =>
  `\nInvalid \`prisma.$queryRawUnsafe()\` invocation:\n\n\nRaw query failed. Code: \`${code}\`. Message: \`${message}\``;
const unreachable = { kind: 'DatabaseNotReachable', host: '127.0.0.1', port: 54391 };
const postgres = (code: string, message: string) => ({
  originalCode: code,
  originalMessage: message,
  kind: 'postgres',
  code,
  severity: 'FATAL',
  message,
});

const recorded: Array<[string, unknown, FailureVerdict]> = [
  // Server down before connect (closed port), or after it stopped: the pool has nothing to reuse.
  [
    'server down: model query (P1001)',
    known(
      "\nInvalid `prisma.order.findMany()` invocation:\nCan't reach database server at 127.0.0.1:54391",
      'P1001',
      unreachable,
      'Order',
    ),
    { class: 'transient', reason: 'database-unreachable' },
  ],
  [
    'server down: raw query (P2010 wrapping DatabaseNotReachable)',
    known(raw('N/A', "Can't reach database server at 127.0.0.1:54391"), 'P2010', unreachable),
    { class: 'transient', reason: 'database-unreachable' },
  ],
  [
    'server down: $transaction (P1001)',
    known("Can't reach database server at 127.0.0.1:54391", 'P1001', unreachable),
    { class: 'transient', reason: 'database-unreachable' },
  ],
  [
    'unknown host (DatabaseNotReachable without a port)',
    known(raw('N/A', "Can't reach database server at db.invalid"), 'P2010', {
      kind: 'DatabaseNotReachable',
      host: 'db.invalid',
    }),
    { class: 'transient', reason: 'database-unreachable' },
  ],
  // Server killed (kill -9) or sessions terminated while a transaction was open.
  [
    'killed under a running query',
    plain('Connection terminated unexpectedly'),
    { class: 'transient', reason: 'database-unreachable' },
  ],
  [
    'killed or terminated while a transaction was open, next statement',
    plain('Client has encountered a connection error and is not queryable'),
    { class: 'transient', reason: 'database-unreachable' },
  ],
  // Fast shutdown (pg_ctl stop -m fast) under a running query; smart shutdown refusing a new session.
  [
    'fast shutdown: 57P01',
    known(
      raw('57P01', 'terminating connection due to administrator command'),
      'P2010',
      postgres('57P01', 'terminating connection due to administrator command'),
    ),
    { class: 'transient', reason: 'database-unreachable' },
  ],
  [
    'shutting down: 57P03 on a model query (P2039)',
    known(
      'Database error. Code: `57P03`. Message: `the database system is shutting down`',
      'P2039',
      postgres('57P03', 'the database system is shutting down'),
      'Order',
    ),
    { class: 'transient', reason: 'database-unreachable' },
  ],
  // Pool exhausted: an interactive transaction waits maxWait (2 s); a query waits connectionTimeoutMillis.
  [
    'pool exhausted: $transaction (P2028)',
    known('Transaction API error: Unable to start a transaction in the given time.', 'P2028'),
    { class: 'transient', reason: 'database-busy' },
  ],
  [
    'pool exhausted: query',
    plain('timeout exceeded when trying to connect'),
    { class: 'transient', reason: 'database-busy' },
  ],
  [
    'too many connections: 53300',
    known(raw('53300', 'too many connections for role "limited"'), 'P2010', {
      originalCode: '53300',
      originalMessage: 'too many connections for role "limited"',
      kind: 'TooManyConnections',
      cause: 'too many connections for role "limited"',
    }),
    { class: 'transient', reason: 'database-busy' },
  ],
  // Contention: a serializable transaction's conflict (thrown bare) and a deadlock.
  [
    'serialization failure 40001 (bare DriverAdapterError)',
    adapterError({
      originalCode: '40001',
      originalMessage: 'could not serialize access due to read/write dependencies among transactions',
      kind: 'TransactionWriteConflict',
    }),
    { class: 'transient', reason: 'write-conflict' },
  ],
  [
    'deadlock 40P01',
    known(raw('40P01', 'deadlock detected'), 'P2010', {
      originalCode: '40P01',
      originalMessage: 'deadlock detected',
      kind: 'TransactionWriteConflict',
    }),
    { class: 'transient', reason: 'write-conflict' },
  ],
];

const other: Array<[string, unknown, FailureVerdict]> = [
  [
    'PrismaClientInitializationError',
    new PrismaClientInitializationError('no engine', clientVersion),
    { class: 'transient', reason: 'database-unreachable' },
  ],
  [
    'P1017 server closed the connection',
    known('Server has closed the connection.', 'P1017'),
    { class: 'transient', reason: 'database-unreachable' },
  ],
  [
    'P2024 pool timeout',
    known('Timed out fetching a new connection from the connection pool.', 'P2024'),
    { class: 'transient', reason: 'database-busy' },
  ],
  [
    'a pg DatabaseError 08006',
    Object.assign(new Error('connection failure'), { code: '08006', severity: 'FATAL' }),
    { class: 'transient', reason: 'database-unreachable' },
  ],
  [
    '57P02 crash shutdown',
    Object.assign(new Error('crash shutdown'), { code: '57P02' }),
    { class: 'transient', reason: 'database-unreachable' },
  ],
  [
    'ECONNREFUSED from net',
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
      code: 'ECONNREFUSED',
      syscall: 'connect',
      errno: -111,
    }),
    { class: 'transient', reason: 'network' },
  ],
  ['EPIPE', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }), { class: 'transient', reason: 'network' }],
  [
    'AggregateError of refused addresses',
    Object.assign(
      new AggregateError([Object.assign(new Error('connect ECONNREFUSED ::1:1'), { code: 'ECONNREFUSED' })], ''),
      {},
    ),
    { class: 'transient', reason: 'network' },
  ],
  ['NATS timeout', NatsError.errorForCode('TIMEOUT'), { class: 'transient', reason: 'broker-unavailable' }],
  ['NATS disconnect', NatsError.errorForCode('DISCONNECT'), { class: 'transient', reason: 'broker-unavailable' }],
  [
    'a use case wrapping an outage',
    new Error('could not reserve', { cause: plain('Connection terminated unexpectedly') }),
    { class: 'transient', reason: 'database-unreachable' },
  ],
  ['MessageRejectedError', new MessageRejectedError('unknown sku'), { class: 'rejected' }],
  [
    'MessageRejectedError even when it wraps an outage',
    new MessageRejectedError('refused', { cause: plain('Connection terminated') }),
    { class: 'rejected' },
  ],
  [
    'a rejection wrapped by the handler',
    new Error('handler', { cause: new MessageRejectedError('no') }),
    { class: 'rejected' },
  ],
  ['a bug', new TypeError("Cannot read properties of undefined (reading 'sku')"), { class: 'unknown' }],
  [
    'a unique violation (P2002)',
    known('Unique constraint failed on the fields: (`id`)', 'P2002', {
      kind: 'UniqueConstraintViolation',
      constraint: { fields: ['id'] },
    }),
    { class: 'unknown' },
  ],
  [
    'a raw query syntax error (P2010, 42601)',
    known(raw('42601', 'syntax error'), 'P2010', postgres('42601', 'syntax error at or near "SELEC"')),
    { class: 'unknown' },
  ],
  [
    'P2028 of an expired transaction',
    known(
      'Transaction API error: Transaction already closed: A commit cannot be executed on an expired transaction.',
      'P2028',
    ),
    { class: 'unknown' },
  ],
  ['a NATS permissions violation', NatsError.errorForCode('PERMISSIONS_VIOLATION'), { class: 'unknown' }],
  [
    'a database that does not exist (3D000)',
    known('Database `x` does not exist', 'P1003', { kind: 'DatabaseDoesNotExist', db: 'x' }),
    { class: 'unknown' },
  ],
  ['a string', 'ECONNREFUSED', { class: 'unknown' }],
  ['null', null, { class: 'unknown' }],
];

describe('judgeFailure on the shapes Prisma 7 + adapter-pg throw', () => {
  it.each(recorded)('%s', (_name, error, verdict) => {
    expect(judgeFailure(error)).toEqual(verdict);
  });
});

describe('judgeFailure on other failures', () => {
  it.each(other)('%s', (_name, error, verdict) => {
    expect(judgeFailure(error)).toEqual(verdict);
  });

  it('stops on a cause cycle', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as Error & { cause: unknown }).cause = b;
    expect(classifyFailure(a)).toBe('unknown');
  });
});
