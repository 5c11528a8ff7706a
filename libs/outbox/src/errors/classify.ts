import { isMessageRejected } from './message-rejected.error';

/**
 * What a failure says about the message that was being handled:
 * - `transient`: the infrastructure failed (database or broker unreachable, pool exhausted, a
 *   write conflict); the message is fine and will succeed later, so it is retried without limit.
 * - `rejected`: the handler refused the message with MessageRejectedError; no retry can change it.
 * - `unknown`: anything else (a bug, most likely); retried a bounded number of times.
 */
export type FailureClass = 'transient' | 'rejected' | 'unknown';

/** Why a transient failure happened, as a short, bounded label (logs, metric labels). */
export type TransientReason =
  'database-unreachable' | 'database-busy' | 'write-conflict' | 'broker-unavailable' | 'network' | 'lab-fault';

export interface FailureVerdict {
  class: FailureClass;
  /** Set for `transient` only. */
  reason?: TransientReason;
}

// Prisma's own codes (https://www.prisma.io/docs/orm/reference/error-reference).
const PRISMA_CODES: Record<string, TransientReason> = {
  P1001: 'database-unreachable', // Can't reach database server
  P1002: 'database-unreachable', // database server reached but timed out
  P1008: 'database-unreachable', // operations timed out
  P1017: 'database-unreachable', // server has closed the connection
  P2024: 'database-busy', // timed out fetching a new connection from the pool
};

// adapter-pg's DriverAdapterError cause kinds (@prisma/driver-adapter-utils MappedError).
const ADAPTER_KINDS: Record<string, TransientReason> = {
  DatabaseNotReachable: 'database-unreachable',
  ConnectionClosed: 'database-unreachable',
  SocketTimeout: 'database-unreachable',
  TooManyConnections: 'database-busy',
  TransactionWriteConflict: 'write-conflict',
};

// Node socket errors, whoever raised them.
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

// nats.js NatsError codes meaning "the broker is not there right now" ("503": no responders or
// JetStream not available; "408": request timeout).
const NATS_CODES = new Set([
  'TIMEOUT',
  'DISCONNECT',
  'CONNECTION_CLOSED',
  'CONNECTION_DRAINING',
  'CONNECTION_REFUSED',
  'CONNECTION_TIMEOUT',
  '503',
  '408',
]);

/**
 * Errors `pg` and `pg-pool` raise without any code (recorded against PostgreSQL 18 with Prisma 7 +
 * adapter-pg, see classify.spec.ts): a server killed under a running query, a connection that
 * broke inside an open transaction, a pool with no free connection in connectionTimeoutMillis.
 */
const PG_MESSAGES: Array<[RegExp, TransientReason]> = [
  [/^Connection terminated/, 'database-unreachable'],
  [/^Client has encountered a connection error and is not queryable/, 'database-unreachable'],
  [/^timeout exceeded when trying to connect/, 'database-busy'],
];

/** SQLSTATE classes and codes of an unavailable server (PostgreSQL appendix A). */
function sqlState(code: string): TransientReason | undefined {
  if (!/^[0-9A-Z]{5}$/.test(code)) return undefined;
  if (code.startsWith('08') || ['57P01', '57P02', '57P03'].includes(code)) return 'database-unreachable';
  if (code === '53300') return 'database-busy';
  if (code === '40001' || code === '40P01') return 'write-conflict';
  return undefined;
}

type Node = Record<string, unknown>;

function own(node: Node, key: string): unknown {
  try {
    return node[key];
  } catch {
    return undefined;
  }
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The verdict of one link of the chain alone, ignoring what it wraps. */
function judge(node: Node): TransientReason | 'rejected' | undefined {
  if (isMessageRejected(node)) return 'rejected';
  const name = str(own(node, 'name'));
  if (name === 'LabFaultError') return 'lab-fault'; // a fault the dual-write lab injected
  const code = str(own(node, 'code'));
  const message = str(own(node, 'message')) ?? '';
  if (name === 'PrismaClientInitializationError') return 'database-unreachable';
  if (name === 'NatsError') return code && NATS_CODES.has(code) ? 'broker-unavailable' : undefined;
  const kind = str(own(node, 'kind'));
  if (kind && ADAPTER_KINDS[kind]) return ADAPTER_KINDS[kind];
  if (code && PRISMA_CODES[code]) return PRISMA_CODES[code];
  // P2028 is every "Transaction API error"; only a start that timed out waiting is the pool's fault.
  if (code === 'P2028' && /Unable to start a transaction in the given time/.test(message)) return 'database-busy';
  if (code && SOCKET_CODES.has(code)) return 'network';
  const state = sqlState(code ?? '') ?? sqlState(str(own(node, 'originalCode')) ?? '');
  if (state) return state;
  for (const [pattern, reason] of PG_MESSAGES) if (pattern.test(message)) return reason;
  return undefined;
}

/** What a link wraps: the cause, Prisma's meta.driverAdapterError, NATS's chainedError, an AggregateError's errors. */
function children(node: Node): unknown[] {
  const meta = own(node, 'meta');
  const errors = own(node, 'errors');
  return [
    own(node, 'cause'),
    meta && typeof meta === 'object' ? (meta as Node).driverAdapterError : undefined,
    own(node, 'chainedError'),
    ...(Array.isArray(errors) ? errors : []),
  ];
}

/**
 * Classifies a failure by walking it and everything it wraps, outermost first: the first link
 * that is a MessageRejectedError or a known infrastructure failure decides.
 */
export function judgeFailure(error: unknown): FailureVerdict {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0 && seen.size < 32) {
    const node = queue.shift();
    if (!node || typeof node !== 'object' || seen.has(node)) continue;
    seen.add(node);
    const verdict = judge(node as Node);
    if (verdict === 'rejected') return { class: 'rejected' };
    if (verdict) return { class: 'transient', reason: verdict };
    queue.push(...children(node as Node));
  }
  return { class: 'unknown' };
}

export function classifyFailure(error: unknown): FailureClass {
  return judgeFailure(error).class;
}

export function isTransientFailure(error: unknown): boolean {
  return classifyFailure(error) === 'transient';
}

/**
 * Whether a transient failure means the dependency is down, so consumers should stop pulling until
 * it is back. A write conflict is not an outage: the next attempt usually succeeds.
 */
export function pausesConsumers(reason: TransientReason): boolean {
  return reason !== 'write-conflict' && reason !== 'lab-fault';
}
