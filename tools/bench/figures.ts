import type { EventLoopReading } from './event-loop';
import type { PhaseRun } from './phase';
import { extent, p99BySlice, spread, type Spread, throughput } from './stats';

/** A fixed phase's p99 is also given by quarter of its placement time (20 s: four of 5 s). */
export const QUARTERS = 4;

/** What one phase's run says, as numbers (the table and the JSON both read these). */
export interface PhaseFigures {
  accepted: number;
  refused: number;
  settled: number;
  asPlanned: number;
  /** How the others ended: "expected → actual" and how many. */
  unplanned: Record<string, number>;
  pending: number;
  /** Accepted, yet neither settled nor pending (e.g. a DBOS workflow in ERROR). */
  failed: number;
  timedOut: boolean;
  sagasPerSecond?: number;
  confirmed: Spread;
  compensated: Spread;
  /** p99 latency of every settled order by quarter of the placement time (confirmed and compensated alike). */
  p99ByQuarter: (number | undefined)[];
  /** POSTs per second actually sent (first to last send). */
  sentPerSecond?: number;
  /** Fixed rate: how late the client sent against its clock. */
  lateness: Spread;
  postAnswer: Spread;
  cpuPerSaga: Record<string, number | undefined>;
  cpuPerSagaTotal?: number;
  benchCpuPerSaga?: number;
  /** CPU seconds of every process measured and the bench's own ÷ the phase's wall seconds: how full the machine was. */
  coresBusy?: number;
  relayLag?: Spread & { unpublished: number };
  /** Each Passo app's event loop over the phase. */
  eventLoop: Record<string, EventLoopReading | undefined>;
  invariantsHeld: boolean;
}

const TERMINAL = new Set(['CONFIRMED', 'CANCELLED']);

export function phaseFigures(run: PhaseRun): PhaseFigures {
  const settled = run.orders.filter((o) => TERMINAL.has(o.status));
  const latency = (status: string) => settled.filter((o) => o.status === status).map((o) => o.updatedMs - o.createdMs);
  const asPlanned = settled.filter((o) => (o.reason ?? o.status) === run.expected[o.id]).length;
  const unplanned: Record<string, number> = {};
  for (const o of run.orders) {
    const actual = o.reason ?? o.status;
    if (actual === run.expected[o.id] || o.status === 'PENDING') continue;
    const key = `${run.expected[o.id]} → ${actual}`;
    unplanned[key] = (unplanned[key] ?? 0) + 1;
  }
  const { sentMs, answeredMs } = run.placement;
  const sent = sentMs.filter((t) => t !== undefined);
  const { min: firstSent, max: lastSent } = extent(sent);
  const sentSpan = (lastSent - firstSent) / 1000;
  const cpuPerSaga = Object.fromEntries(
    Object.entries(run.cpuSeconds).map(([name, s]) => [
      name,
      s === undefined || settled.length === 0 ? undefined : s / settled.length,
    ]),
  );
  const known = Object.values(cpuPerSaga).filter((v): v is number => v !== undefined);
  const refused = Object.values(run.placement.refused).reduce((a, b) => a + b, 0);
  return {
    accepted: run.placement.placed,
    refused,
    settled: settled.length,
    asPlanned,
    unplanned,
    pending: run.pending,
    failed: run.orders.filter((o) => !TERMINAL.has(o.status) && o.status !== 'PENDING').length,
    timedOut: run.timedOut,
    sagasPerSecond: throughput(settled),
    confirmed: spread(latency('CONFIRMED')),
    compensated: spread(latency('CANCELLED')),
    p99ByQuarter: p99BySlice(settled, QUARTERS),
    sentPerSecond: sent.length > 1 && sentSpan > 0 ? (sent.length - 1) / sentSpan : undefined,
    lateness: spread(run.placement.lateMs),
    postAnswer: spread(sentMs.flatMap((t, n) => (answeredMs[n] === undefined ? [] : [answeredMs[n] - t]))),
    cpuPerSaga,
    cpuPerSagaTotal: known.length > 0 ? known.reduce((a, b) => a + b, 0) : undefined,
    benchCpuPerSaga: settled.length > 0 ? run.benchCpuSeconds / settled.length : undefined,
    coresBusy:
      known.length > 0 && run.wallSeconds > 0
        ? (Object.values(run.cpuSeconds).reduce<number>((a, b) => a + (b ?? 0), 0) + run.benchCpuSeconds) /
          run.wallSeconds
        : undefined,
    relayLag: run.relay && { ...spread(run.relay.lagsMs), unpublished: run.relay.unpublished },
    eventLoop: run.eventLoop,
    invariantsHeld: run.violations.length === 0,
  };
}
