import type { PlannedOrder, Workload } from '../compare/workload';
import { closedLoop, httpPost, openLoop, type Placement } from './load';
import type { Phase } from './options';
import type { EventLoopReading } from './event-loop';
import type { OrderTimes, SagaTarget, TableCounts } from './target';

const INVARIANTS_WAIT_MS = 15_000;
/** How often a phase counts the outbox and inbox rows (one count(*) per table and database). */
const TABLES_EVERY_MS = 30_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface PhaseSpec {
  kind: Phase;
  workload: Workload;
  concurrency: number;
  rate: number;
  /** Settle timeout, counted from the last POST's answer. */
  timeoutMs: number;
}

/** RSS of each measured process, MiB, sampled once a second. */
export type RssSeries = Record<string, { atMs: number; mib: number }[]>;

export interface PhaseRun {
  target: string;
  kind: Phase;
  planned: number;
  placement: Omit<Placement, 'ids' | 'done'>;
  orders: OrderTimes[];
  expected: Record<string, string>;
  /** Accepted orders not settled when the phase gave up (0 when it settled). */
  pending: number;
  timedOut: boolean;
  /** CPU seconds per process over the phase (placement to the last settlement). */
  cpuSeconds: Record<string, number | undefined>;
  /** The bench process itself (the load generator), for scale. */
  benchCpuSeconds: number;
  wallSeconds: number;
  rss: RssSeries;
  /** Each Passo app's event loop over the phase (placement to the last settlement). */
  eventLoop: Record<string, EventLoopReading | undefined>;
  violations: string[];
  relay?: { lagsMs: number[]; unpublished: number };
  /** The rows at the start, every TABLES_EVERY_MS while the phase runs (`atS` from its start), at the end. */
  tables?: { before: TableCounts; during: { atS: number; counts: TableCounts }[]; after: TableCounts };
}

/**
 * One phase against one target: the orders sent (closed or open loop), progress on stderr once a
 * second from one count query, then the timestamps, CPU, memory and invariants of the run.
 */
export async function runPhase(target: SagaTarget, spec: PhaseSpec, log: (line: string) => void): Promise<PhaseRun> {
  const { workload } = spec;
  await target.setUp(workload);
  const tablesBefore = await target.tables?.();
  const rss: RssSeries = {};
  const sampleRss = () => {
    for (const p of target.processes) {
      const mib = p.rss?.();
      if (mib !== undefined) (rss[p.name] ??= []).push({ atMs: Date.now(), mib });
    }
  };
  sampleRss();
  await eventLoopOf(target); // from here: each scrape resets what the next one reads
  const cpuBefore = cpuOf(target);
  const benchBefore = process.cpuUsage();
  const startedMs = Date.now();
  const post = httpPost(target.ordersUrl);
  const bodies = workload.orders.map((order: PlannedOrder) => target.bodyOf(order));
  const placement =
    spec.kind === 'closed' ? closedLoop(post, bodies, spec.concurrency) : openLoop(post, bodies, spec.rate);
  const during: { atS: number; counts: TableCounts }[] = [];
  const sampleTables = async () => {
    if (!tablesBefore || Date.now() - startedMs < (during.length + 1) * TABLES_EVERY_MS) return;
    const counts = await target.tables!();
    during.push({ atS: Math.round((Date.now() - startedMs) / 1000), counts });
  };
  const everySecond = async () => {
    sampleRss();
    await sampleTables();
  };
  const { pending, timedOut } = await waitSettled(target, spec, placement, startedMs, everySecond, log);
  const cpuAfter = cpuOf(target);
  const bench = process.cpuUsage(benchBefore);
  const eventLoop = await eventLoopOf(target);
  const wallSeconds = (Date.now() - startedMs) / 1000;
  sampleRss();
  const ids = placement.ids.filter((id): id is string => id !== undefined);
  const orders = await target.times(ids);
  const expected = Object.fromEntries(
    placement.ids.flatMap((id, n) => (id === undefined ? [] : [[id, workload.orders[n].expected]])),
  );
  let violations = timedOut ? ['not checked: sagas still in flight'] : await target.invariants(workload);
  // The last compensations may land just after the order settles.
  for (const until = Date.now() + INVARIANTS_WAIT_MS; !timedOut && violations.length > 0 && Date.now() < until;) {
    await sleep(500);
    violations = await target.invariants(workload);
  }
  const { ids: _ids, done: _done, ...seen } = placement;
  return {
    target: target.name,
    kind: spec.kind,
    planned: workload.orders.length,
    placement: seen,
    orders,
    expected,
    pending,
    timedOut,
    cpuSeconds: Object.fromEntries(
      Object.entries(cpuAfter).map(([name, after]) => {
        const before = cpuBefore[name];
        return [name, after === undefined || before === undefined ? undefined : after - before];
      }),
    ),
    benchCpuSeconds: (bench.user + bench.system) / 1e6,
    wallSeconds,
    rss,
    eventLoop,
    violations,
    relay: await target.relayLag?.(startedMs),
    tables: tablesBefore && { before: tablesBefore, during, after: (await target.tables?.())! },
  };
}

async function eventLoopOf(target: SagaTarget): Promise<Record<string, EventLoopReading | undefined>> {
  const measured = target.processes.filter((p) => p.eventLoop);
  const readings = await Promise.all(measured.map((p) => p.eventLoop!()));
  return Object.fromEntries(measured.map((p, i) => [p.name, readings[i]]));
}

function cpuOf(target: SagaTarget): Record<string, number | undefined> {
  return Object.fromEntries(target.processes.map((p) => [p.name, p.cpu()]));
}

async function waitSettled(
  target: SagaTarget,
  spec: PhaseSpec,
  placement: Placement,
  startedMs: number,
  everySecond: () => Promise<void>,
  log: (line: string) => void,
): Promise<{ pending: number; timedOut: boolean }> {
  let placedDoneMs: number | undefined;
  let last = { atMs: startedMs, settled: 0, placed: 0 };
  for (;;) {
    await sleep(1_000);
    target.checkAlive();
    await everySecond();
    const done = placement.done; // read before the query: every id placed by then is in it
    const ids = placement.ids.filter((id): id is string => id !== undefined);
    const settled = await target.settledCount(ids);
    const now = Date.now();
    const rate = (n: number, was: number) => ((n - was) / ((now - last.atMs) / 1000)).toFixed(0);
    const refused = Object.values(placement.refused).reduce((a, b) => a + b, 0);
    const behind = spec.kind === 'fixed' ? `, client behind by ${Math.round(placement.lateMs.at(-1) ?? 0)} ms` : '';
    log(
      `${target.name} ${spec.kind}: placed ${placement.placed}/${spec.workload.orders.length} (${rate(placement.placed, last.placed)}/s)` +
        `${refused ? `, refused ${refused}` : ''}, settled ${settled} (${rate(settled, last.settled)}/s)${behind}` +
        ` [${Math.round((now - startedMs) / 1000)} s]`,
    );
    last = { atMs: now, settled, placed: placement.placed };
    if (done && settled === ids.length) return { pending: 0, timedOut: false };
    if (done) placedDoneMs ??= now;
    if (placedDoneMs !== undefined && now - placedDoneMs > spec.timeoutMs) {
      log(
        `${target.name} ${spec.kind}: ${ids.length - settled} of ${ids.length} sagas still not settled ` +
          `${spec.timeoutMs / 1000} s after the last POST: giving up on this phase`,
      );
      return { pending: ids.length - settled, timedOut: true };
    }
  }
}
