import type { SagaMode } from '@passo/contracts';
import { extent, percentile } from '../bench/stats';
import { textTable } from './text-table';
import { IDLE_WINDOW_MS, type ModeRun, STATS_FLUSH_MS } from './run-mode';
import type { Snapshot } from '../system/harness';

/** One mode's column: its figures, or why there are none (a word or two: "timed out"). */
export type ModeColumn = { mode: SagaMode; run: ModeRun } | { mode: SagaMode; failed: string; why?: string };

export interface Figures {
  outcomes: string;
  sagasPerSecond: number;
  confirmed: { p50?: number; p99?: number };
  cancelled: { p50?: number; p99?: number };
  messagesPerSaga: number;
  commitsPerSaga: number;
  idleCommitsPerSecond: number;
  invariantsHeld: boolean;
}

export { percentile };

export function figures({ orders, asPlanned, violations, snapshots: { idle, start, end } }: ModeRun): Figures {
  const n = orders.length;
  const latencies = (status: string) =>
    orders
      .filter((o) => o.status === status)
      .map((o) => o.updatedMs - o.createdMs)
      .sort((a, b) => a - b);
  const spread = (values: number[]) => ({ p50: percentile(values, 50), p99: percentile(values, 99) });
  const firstPlaced = extent(orders.map((o) => o.createdMs)).min;
  const lastSettled = extent(orders.map((o) => o.updatedMs)).max;
  // Commits by the apps alone (this script's own statements taken out), between two snapshots.
  const appCommits = (from: Snapshot, to: Snapshot) => to.commits - from.commits - (to.ownQueries - from.ownQueries);
  const seconds = (from: Snapshot, to: Snapshot) => (to.at - from.at) / 1000;
  const idleCommitsPerSecond = appCommits(idle, start) / seconds(idle, start);
  const workCommits = appCommits(start, end) - idleCommitsPerSecond * seconds(start, end);
  const confirmed = orders.filter((o) => o.status === 'CONFIRMED').length;
  return {
    outcomes: `${confirmed} / ${n - confirmed} (${asPlanned === n ? 'as planned' : `${n - asPlanned} unexpected`})`,
    sagasPerSecond: n / ((lastSettled - firstPlaced) / 1000),
    confirmed: spread(latencies('CONFIRMED')),
    cancelled: spread(latencies('CANCELLED')),
    messagesPerSaga: (end.messages - start.messages) / n,
    commitsPerSaga: workCommits / n,
    idleCommitsPerSecond,
    invariantsHeld: violations.length === 0,
  };
}

const ms = (value: number | undefined) => (value === undefined ? '—' : `${Math.round(value)} ms`);

const ROWS: [string, (f: Figures) => string][] = [
  ['orders confirmed / cancelled', (f) => f.outcomes],
  ['settled sagas/s ¹', (f) => f.sagasPerSecond.toFixed(1)],
  ['latency CONFIRMED p50 ²', (f) => ms(f.confirmed.p50)],
  ['latency CONFIRMED p99 ²', (f) => ms(f.confirmed.p99)],
  ['latency CANCELLED p50 ²', (f) => ms(f.cancelled.p50)],
  ['latency CANCELLED p99 ²', (f) => ms(f.cancelled.p99)],
  ['messages per saga ³', (f) => f.messagesPerSaga.toFixed(2)],
  ['database commits per saga ⁴', (f) => f.commitsPerSaga.toFixed(1)],
  ['every invariant held ⁵', (f) => (f.invariantsHeld ? 'yes' : 'NO')],
];

/** Metric rows × mode columns, plain text, aligned; a failed mode says why in its first row. */
export function table(columns: readonly ModeColumn[]): string {
  const cells = columns.map((column) => {
    if ('failed' in column) return ROWS.map((_, i) => (i === 0 ? column.failed : '—'));
    const f = figures(column.run);
    return ROWS.map(([, cell]) => cell(f));
  });
  const header = ['metric', ...columns.map((c) => c.mode)];
  return textTable(
    header,
    ROWS.map(([name], i) => [name, ...cells.map((c) => c[i])]),
  );
}

export function footnotes(columns: readonly ModeColumn[], orders: number, concurrency: number): string {
  const idle = columns
    .filter((c): c is Extract<ModeColumn, { run: ModeRun }> => 'run' in c)
    .map((c) => `${c.mode} ${figures(c.run).idleCommitsPerSecond.toFixed(1)}/s`)
    .join(', ');
  return [
    `${orders} orders per mode, at most ${concurrency} POSTs in flight (a POST returns at PENDING: sagas in flight are not`,
    'bounded by it), on one system (four apps, fresh databases, one NATS server);',
    'six in ten meant to succeed, one in ten each out of stock, unknown SKU, insufficient funds, unknown customer.',
    '¹ orders ÷ (last settlement − first placement), both from the orders table (updated_at, created_at).',
    '² updated_at − created_at of each order in the orders table (placement to settlement).',
    "³ messages added to the run's JetStream streams (sum of state.messages, after − before) ÷ orders; dead letters included.",
    `⁴ pg_stat_database.xact_commit summed over the four databases, after − before, ÷ orders; minus this script's own`,
    `  statements, minus the idle rate (${idle}, measured over ${IDLE_WINDOW_MS / 1000} s before the workload) × the window;`,
    `  read after waiting ${STATS_FLUSH_MS / 1000} s, as idle backends flush their statistics up to 10 s late. Read-only transactions count too.`,
    '⁵ tools/audit (the auditor, deadline 0) once every order settled (retried for up to 15 s while compensations land).',
  ].join('\n');
}
