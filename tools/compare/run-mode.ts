import type { SagaMode } from '@passo/contracts';
import { checkInvariants } from '../audit';
import type { CompareSystem, Snapshot } from '../system/harness';
import { placeAndSettle } from './traffic';
import type { Outcome, Workload } from './workload';

export const IDLE_WINDOW_MS = 3_000;
/**
 * PostgreSQL's backends flush their statistics at most once a second, and an idle backend with
 * stats pending flushes them only after 10 s (PGSTAT_IDLE_INTERVAL); observed here: up to ~10 s.
 */
export const STATS_FLUSH_MS = 11_000;
const INVARIANTS_WAIT_MS = 15_000;

export interface SettledOrder {
  status: 'CONFIRMED' | 'CANCELLED';
  createdMs: number;
  updatedMs: number;
}

export interface ModeRun {
  mode: SagaMode;
  orders: SettledOrder[];
  asPlanned: number;
  violations: string[];
  /** idle → start: nothing runs (the idle rate); start → end: the workload, its tail and the stats flush. */
  snapshots: { idle: Snapshot; start: Snapshot; end: Snapshot };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One mode's run: idle window, every order placed (`concurrency` at a time), wait until all
 * settled and the invariants hold (the last compensations land after the order settles), then
 * wait for the statistics to flush.
 */
export async function runMode(
  system: CompareSystem,
  mode: SagaMode,
  workload: Workload,
  { concurrency, timeoutMs }: { concurrency: number; timeoutMs: number },
): Promise<ModeRun> {
  const idle = await system.snapshot();
  await sleep(IDLE_WINDOW_MS);
  const start = await system.snapshot();
  const ids = await placeAndSettle(system, mode, workload, { concurrency, timeoutMs });
  const db = system.databases();
  let violations = await checkInvariants(db, workload.stockTotals, workload.initialBalances);
  for (const until = Date.now() + INVARIANTS_WAIT_MS; violations.length > 0 && Date.now() < until;) {
    await sleep(500);
    violations = await checkInvariants(db, workload.stockTotals, workload.initialBalances);
  }
  const rows = await db.order<{
    id: string;
    status: SettledOrder['status'];
    reason: string | null;
    c: number;
    u: number;
  }>(
    `SELECT id::text, status::text, cancellation_reason::text AS reason,
            extract(epoch FROM created_at) * 1000 AS c, extract(epoch FROM updated_at) * 1000 AS u
       FROM orders WHERE id = ANY($1::uuid[])`,
    [ids],
  );
  const orders = rows.map((r) => ({ status: r.status, createdMs: Number(r.c), updatedMs: Number(r.u) }));
  const expected = new Map<string, Outcome>(ids.map((id, n) => [id, workload.orders[n].expected]));
  const asPlanned = rows.filter((r) => (r.reason ?? r.status) === expected.get(r.id)).length;
  await sleep(STATS_FLUSH_MS);
  const end = await system.snapshot();
  return { mode, orders, asPlanned, violations, snapshots: { idle, start, end } };
}
