import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import type { PlannedOrder, Workload } from '../compare/workload';
import { STATE_DIR } from '../devstack/paths';
import { processName } from '../devstack/ports';
import { type EventLoopReading, scrapeEventLoop } from './event-loop';
import { processCpu, readStat, rssMiB, treeCpu } from './proc';

/** One order as the system's database has it at the end of a phase. */
export interface OrderTimes {
  id: string;
  status: string;
  /** Cancellation reason, or null. */
  reason: string | null;
  createdMs: number;
  updatedMs: number;
}

/** A process whose CPU (and memory) a phase measures: CPU seconds so far, RSS in MiB. */
export interface MeasuredProcess {
  name: string;
  cpu(): number | undefined;
  rss?(): number | undefined;
  /** A Passo app: its event loop since the previous call (its /metrics). */
  eventLoop?(): Promise<EventLoopReading | undefined>;
}

/** Row counts of the outbox and inbox tables, per database. */
export type TableCounts = Record<string, { outbox: number; inbox: number }>;

/** What a phase needs of the system under test: Passo in one mode, or the DBOS baseline. */
export interface SagaTarget {
  readonly name: string;
  readonly ordersUrl: string;
  readonly processes: readonly MeasuredProcess[];
  bodyOf(order: PlannedOrder): unknown;
  setUp(workload: Workload): Promise<void>;
  /** One cheap statement: how many of `ids` reached a terminal state. */
  settledCount(ids: readonly string[]): Promise<number>;
  times(ids: readonly string[]): Promise<OrderTimes[]>;
  invariants(workload: Workload): Promise<string[]>;
  /** Throws when a process of the system died. */
  checkAlive(): void;
  /** Passo only: outbox published_at − occurred_at of the rows written since `sinceMs`. */
  relayLag?(sinceMs: number): Promise<{ lagsMs: number[]; unpublished: number }>;
  tables?(): Promise<TableCounts>;
  /** Where the latency's timestamps come from, for the footnote. */
  readonly clock: string;
}

export const appProcess = (name: string, pid: number | undefined, metricsUrl?: string): MeasuredProcess => ({
  name,
  cpu: () => (pid === undefined ? undefined : processCpu(pid)),
  rss: () => (pid === undefined ? undefined : rssMiB(pid)),
  eventLoop: metricsUrl === undefined ? undefined : () => scrapeEventLoop(metricsUrl),
});

/**
 * The PostgreSQL server behind `url`, as a tree (postmaster + backends), when it runs on this
 * machine: the parent of our own backend is the postmaster.
 */
export async function postgresProcess(url: string): Promise<MeasuredProcess> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const root = readStat(rows[0].pid)?.ppid;
    return { name: 'postgresql', cpu: () => (root === undefined ? undefined : treeCpu(root)) };
  } finally {
    await client.end();
  }
}

/** The embedded nats-server (its pid file), when it runs on this machine. */
export function natsProcess(): MeasuredProcess {
  const file = join(STATE_DIR, 'nats', 'nats-server.pid');
  const pid = existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : undefined;
  const ours = pid !== undefined && processName(pid) === 'nats-server' ? pid : undefined;
  return { name: 'nats-server', cpu: () => (ours === undefined ? undefined : processCpu(ours)) };
}
