import { availableParallelism } from 'node:os';
import { type PhaseFigures, QUARTERS } from './figures';
import { count, num, ratio, renderTable, type Row, times } from './format';
import { DEFAULT_RETENTION_HOURS, type BenchOptions, type Phase } from './options';
import type { PhaseRun } from './phase';
import type { TableCounts } from './target';

/** Every phase's run and figures, by target ('choreography', 'orchestration', 'dbos') and phase. */
export type Results = Record<string, Partial<Record<Phase, { run: PhaseRun; figures: PhaseFigures }>>>;

const PROCESS_ORDER = [
  'order-service',
  'inventory-service',
  'payment-service',
  'saga-orchestrator',
  'dbos-app',
  'postgresql',
  'nats-server',
];
const SHORT: Record<string, string> = { choreography: 'chor', orchestration: 'orch' };

/** The side-by-side table: Passo's modes, DBOS, then each mode relative to DBOS (above 1× Passo is ahead). */
export function benchTable(results: Results, opts: BenchOptions): string {
  const passo = opts.modes;
  const dbos = results.dbos ? ['dbos'] : [];
  const header = ['metric', ...passo, ...dbos, ...(dbos.length ? passo.map((m) => `${SHORT[m]} vs dbos ×`) : [])];
  const rows: Row[] = [];
  type Get = (f: PhaseFigures) => number | undefined;
  const metric = (phase: Phase, label: string, get: Get, better: 'higher' | 'lower', show: (v?: number) => string) => {
    const value = (target: string) => {
      const f = results[target]?.[phase]?.figures;
      return f && get(f);
    };
    const cells = [...passo, ...dbos].map((t) => show(value(t)));
    // A system that refused POSTs measured only the orders it took: its ratio is not like for like.
    const shed = (m: string) => {
      const f = results[m]?.[phase]?.figures;
      return f !== undefined && f.refused > 0.01 * (f.refused + f.accepted) ? ' †' : '';
    };
    const ratios = dbos.length ? passo.map((m) => times(ratio(value(m), value('dbos'), better)) + shed(m)) : [];
    rows.push({ label, cells: [...cells, ...ratios] });
  };
  const text = (phase: Phase, label: string, get: (f: PhaseFigures) => string) =>
    rows.push({
      label,
      cells: [...passo, ...dbos].map((t) => {
        const f = results[t]?.[phase]?.figures;
        return f ? get(f) : '—';
      }),
    });
  const ms = (v?: number) => num(v);
  const cpuMs = (v?: number) => num(v === undefined ? undefined : v * 1000, 2);
  const processes = PROCESS_ORDER.filter((p) =>
    Object.values(results).some((byPhase) =>
      Object.values(byPhase).some((r) => r?.figures.cpuPerSaga[p] !== undefined),
    ),
  );
  const apps = PROCESS_ORDER.filter((p) =>
    Object.values(results).some((byPhase) => Object.values(byPhase).some((r) => r?.figures.eventLoop[p])),
  );
  const loop = (phase: Phase) => {
    for (const p of apps)
      text(phase, `event loop busy % / delay p99 ms ${p} ⁸`, (f) => {
        const e = f.eventLoop[p];
        return e ? `${num(e.busy * 100)} / ${num(e.delayP99Ms)}` : '—';
      });
  };
  const outcome = (f: PhaseFigures) =>
    `${f.settled}/${f.accepted}${f.asPlanned === f.settled ? '' : ` (${f.settled - f.asPlanned} unplanned)`}` +
    `${f.pending ? `, ${f.pending} PENDING` : ''}${f.failed ? `, ${f.failed} failed` : ''}`;

  if (opts.phases.includes('closed')) {
    rows.push({ section: `closed loop: ${opts.orders} orders, ${opts.concurrency} POSTs in flight` });
    metric(
      'closed',
      'settled sagas/s ¹',
      (f) => f.sagasPerSecond,
      'higher',
      (v) => num(v, 1),
    );
    text('closed', 'settled / accepted ²', outcome);
    text('closed', 'POSTs refused', (f) => String(f.refused));
    for (const p of processes) metric('closed', `CPU ms/saga ${p} ³`, (f) => f.cpuPerSaga[p], 'lower', cpuMs);
    metric('closed', 'CPU ms/saga, all of the above', (f) => f.cpuPerSagaTotal, 'lower', cpuMs);
    text('closed', `cores busy (of ${availableParallelism()}), with the client ⁹`, (f) => num(f.coresBusy, 2));
    metric('closed', 'relay lag p50 ms ⁴', (f) => f.relayLag?.p50, 'lower', ms);
    metric('closed', 'relay lag p99 ms ⁴', (f) => f.relayLag?.p99, 'lower', ms);
    loop('closed');
  }
  if (opts.phases.includes('fixed')) {
    rows.push({ section: `fixed rate: ${opts.rate} orders/s for ${opts.durationS} s (open loop)` });
    metric(
      'fixed',
      'POSTs sent /s (client)',
      (f) => f.sentPerSecond,
      'higher',
      (v) => num(v, 1),
    );
    metric('fixed', 'client behind its clock, max ms ⁵', (f) => f.lateness.max, 'lower', ms);
    text('fixed', 'settled / accepted ²', outcome);
    text('fixed', 'POSTs refused', (f) => String(f.refused));
    metric('fixed', 'POST answered p99 ms', (f) => f.postAnswer.p99, 'lower', ms);
    for (const [name, key] of [
      ['confirmed', 'confirmed'],
      ['compensated', 'compensated'],
    ] as const) {
      for (const p of ['p50', 'p95', 'p99', 'max'] as const)
        metric('fixed', `${name} latency ${p} ms ⁶`, (f) => f[key][p], 'lower', ms);
    }
    text('fixed', `settled p99 ms by quarter of placement (${opts.durationS / QUARTERS} s each)`, (f) =>
      f.p99ByQuarter.map((v) => ms(v)).join(' · '),
    );
    metric('fixed', 'CPU ms/saga, all processes ³', (f) => f.cpuPerSagaTotal, 'lower', cpuMs);
    text('fixed', `cores busy (of ${availableParallelism()}), with the client ⁹`, (f) => num(f.coresBusy, 2));
    metric('fixed', 'relay lag p50 ms ⁴', (f) => f.relayLag?.p50, 'lower', ms);
    metric('fixed', 'relay lag p99 ms ⁴', (f) => f.relayLag?.p99, 'lower', ms);
    loop('fixed');
  }
  rows.push({ section: 'checks' });
  const held = (t: string) => {
    const phases = Object.values(results[t] ?? {});
    if (phases.length === 0) return '—';
    return phases.every((r) => r!.figures.invariantsHeld) ? 'yes' : 'NO';
  };
  rows.push({ label: 'every invariant held ⁷', cells: [...passo, ...dbos].map(held) });
  const inTime = (t: string) => {
    const byPhase = results[t] ?? {};
    const late = opts.phases
      .filter((p) => byPhase[p]?.run.timedOut)
      .map((p) => `${p}: ${byPhase[p]!.figures.pending} PENDING`);
    const skipped = opts.phases.filter((p) => !byPhase[p]);
    if (late.length > 0) return `NO (${late.join(', ')})`;
    return skipped.length > 0 ? `skipped ${skipped.join(', ')}` : 'yes';
  };
  rows.push({
    label: `every saga settled in time (${opts.timeoutMs / 1000} s)`,
    cells: [...passo, ...dbos].map(inTime),
  });
  return renderTable(header, rows);
}

export function footnotes(): string {
  return [
    '¹ settled orders ÷ (last terminal updated_at − first created_at), from the database (Passo: orders table; DBOS: dbos.workflow_status).',
    '² terminal / POSTs answered 201; "unplanned": ended otherwise than the set-up makes certain; PENDING: still in flight at the timeout.',
    '³ CPU seconds (utime+stime from /proc) of each process over the phase ÷ settled sagas; postgresql = postmaster + every backend.',
    "  Passo's phases count the four apps, PostgreSQL and NATS; DBOS's its app process and PostgreSQL.",
    '⁴ outbox_messages.published_at − occurred_at over the rows the phase wrote, in all four databases (Passo only).',
    '⁵ open loop: POST n is due at start + n/rate; how late the client sent it (if large, the latency is understated).',
    "⁶ per order, created_at → terminal updated_at in its database (Passo: the order row; DBOS: the workflow's status row, which",
    '  starts before the order row is written) — the POST send time is not used; both clocks are this machine.',
    '⁷ Passo: tools/audit (the auditor); DBOS: the same promises on its tables (stock conserved, nothing reserved, money = payments).',
    '× columns: Passo relative to DBOS, above 1 Passo is ahead (throughput passo ÷ dbos; latency and CPU dbos ÷ passo).',
    "† Passo refused more than 1 % of that phase's POSTs (503): its figures cover only the orders it accepted.",
    "⁸ each app's /metrics at the phase's start and end: passo_nodejs_eventloop_utilization (near 100 %: work waits for the",
    "  loop) and the p99 of the default metrics' event loop delay over the phase (Passo only).",
    "⁹ CPU seconds of the processes of ³ and of the bench itself (the load client) ÷ the phase's wall time: near the core count,",
    '  the machine was full and latency includes waiting for a core.',
  ].join('\n');
}

/**
 * Memory of each measured process (RSS MiB) per target: start, middle and end of its phases; and
 * the outbox and inbox rows of each phase over time, with the retention the apps' cleanup had.
 */
export function memoryLines(results: Results, opts: Pick<BenchOptions, 'retentionS'>): string[] {
  const lines: string[] = [];
  for (const [target, byPhase] of Object.entries(results)) {
    const series: Record<string, { atMs: number; mib: number }[]> = {};
    for (const phase of Object.values(byPhase))
      for (const [name, points] of Object.entries(phase!.run.rss)) (series[name] ??= []).push(...points);
    for (const [name, points] of Object.entries(series)) {
      const at = (f: number) => points[Math.min(points.length - 1, Math.floor(f * (points.length - 1)))].mib.toFixed(0);
      lines.push(`${target.padEnd(13)} ${name.padEnd(18)} RSS MiB start ${at(0)}, middle ${at(0.5)}, end ${at(1)}`);
    }
    for (const [phase, r] of Object.entries(byPhase)) {
      const t = r!.run.tables;
      if (t) lines.push(`${target.padEnd(13)} ${phase} phase: ${tableRows(t, opts.retentionS)}`);
    }
  }
  return lines;
}

/** "outbox rows 0 / 21,000 / 22,400, inbox rows … (start, 30 s, end; four databases, retention 60 s)". */
function tableRows(tables: NonNullable<PhaseRun['tables']>, retentionS: number | undefined): string {
  const samples = [tables.before, ...tables.during.map((d) => d.counts), tables.after];
  const rows = (k: 'outbox' | 'inbox') =>
    samples.map((c: TableCounts) => count(Object.values(c).reduce((a, b) => a + b[k], 0))).join(' / ');
  const when = ['start', ...tables.during.map((d) => `${d.atS} s`), 'end'].join(', ');
  const retention =
    retentionS === undefined
      ? `the apps' default retention, ${DEFAULT_RETENTION_HOURS} h`
      : `retention ${retentionS} s`;
  return `outbox rows ${rows('outbox')}, inbox rows ${rows('inbox')} (${when}; four databases, ${retention})`;
}
