import { phaseFigures } from './figures';
import { parseBenchArgs, type BenchOptions } from './options';
import type { PhaseRun } from './phase';
import { benchTable, memoryLines, type Results } from './report';

/** A closed-loop run of `n` orders placed one every `everyMs`, each taking `latencyMs` (= everyMs: 1000/everyMs sagas/s). */
function run(target: string, n: number, everyMs: number, latencyMs: number, extra: Partial<PhaseRun> = {}): PhaseRun {
  const orders = Array.from({ length: n }, (_, i) => ({
    id: `${target}-${i}`,
    status: 'CONFIRMED',
    reason: null,
    createdMs: i * everyMs,
    updatedMs: i * everyMs + latencyMs,
  }));
  return {
    target,
    kind: 'closed',
    planned: n,
    placement: { sentMs: [], answeredMs: [], refused: {}, refusalSamples: [], lateMs: [], placed: n },
    orders,
    expected: Object.fromEntries(orders.map((o) => [o.id, 'CONFIRMED'])),
    pending: 0,
    timedOut: false,
    cpuSeconds: { postgresql: n * 0.01 },
    benchCpuSeconds: 0,
    wallSeconds: 1,
    rss: {},
    eventLoop: {},
    violations: [],
    ...extra,
  };
}

const line = (table: string, label: string) => table.split('\n').find((l) => l.trimStart().startsWith(label))!;

describe('benchTable', () => {
  const opts = { ...(parseBenchArgs([]) as BenchOptions), phases: ['closed' as const] };
  const of = (r: PhaseRun) => ({ closed: { run: r, figures: phaseFigures(r) } });

  it('prints each mode, DBOS, and each mode relative to DBOS (above 1× Passo is ahead)', () => {
    const results: Results = {
      choreography: of(run('choreography', 101, 10, 10)), // 100 sagas/s
      orchestration: of(run('orchestration', 101, 25, 25)), // 40 sagas/s
      dbos: of(run('dbos', 201, 2.5, 2.5, { cpuSeconds: { postgresql: 201 * 0.005 } })), // 400/s, half the CPU
    };
    const table = benchTable(results, opts);
    expect(table.split('\n')[0]).toMatch(
      /^metric\s+choreography\s+orchestration\s+dbos\s+chor vs dbos ×\s+orch vs dbos ×$/,
    );
    expect(
      line(table, 'settled sagas/s')
        .split(/\s{3,}/)
        .slice(1),
    ).toEqual(['100.0', '40.0', '400.0', '0.25×', '0.10×']);
    expect(
      line(table, 'CPU ms/saga postgresql')
        .split(/\s{3,}/)
        .slice(1),
    ).toEqual(['10.00', '10.00', '5.00', '0.50×', '0.50×']);
    expect(line(table, 'every saga settled in time')).toMatch(/yes\s+yes\s+yes$/);
  });

  it("prints each Passo app's event loop (busy %, delay p99 ms), and — where a system has none", () => {
    const eventLoop = { 'order-service': { busy: 0.964, delayP99Ms: 41.6 }, 'payment-service': undefined };
    const results: Results = {
      choreography: of(run('choreography', 11, 10, 10, { eventLoop })),
      orchestration: of(run('orchestration', 11, 10, 10)),
      dbos: of(run('dbos', 11, 10, 10)),
    };
    const row = line(benchTable(results, opts), 'event loop busy % / delay p99 ms order-service');
    expect(row.split(/\s{3,}/).slice(1)).toEqual(['96 / 42', '—', '—']);
    expect(benchTable(results, opts)).not.toMatch(/event loop .* payment-service/); // no app had a reading
  });

  it("prints how many cores the phase kept busy: every process's CPU and the client's over the wall time", () => {
    const busy = run('choreography', 11, 10, 10, {
      cpuSeconds: { postgresql: 3, 'order-service': 4.5, 'nats-server': undefined },
      benchCpuSeconds: 0.5,
      wallSeconds: 5,
    });
    const table = benchTable({ choreography: of(busy) }, { ...opts, modes: ['choreography'], dbos: false });
    expect(
      line(table, 'cores busy')
        .split(/\s{3,}/)
        .slice(1),
    ).toEqual(['1.60']); // (3 + 4.5 + 0.5) / 5
  });

  it('says which phase timed out, with how many sagas still pending', () => {
    const late = run('choreography', 11, 10, 50, { timedOut: true, pending: 7, violations: ['not checked'] });
    const table = benchTable({ choreography: of(late) }, { ...opts, modes: ['choreography'], dbos: false });
    expect(line(table, 'every saga settled in time')).toMatch(/NO \(closed: 7 PENDING\)$/);
    expect(line(table, 'every invariant held')).toMatch(/NO$/);
    expect(table).not.toContain('vs dbos');
  });
});

describe('memoryLines', () => {
  const rows = (outbox: number, inbox: number) => ({
    order: { outbox, inbox: 0 },
    inventory: { outbox: 0, inbox },
  });
  const soak = run('choreography', 1, 1, 1, {
    kind: 'fixed',
    rss: { 'order-service': [100, 180, 150].map((mib, i) => ({ atMs: i * 1000, mib })) },
    tables: {
      before: rows(0, 0),
      during: [
        { atS: 30, counts: rows(21_000, 40_100) },
        { atS: 60, counts: rows(22_500, 45_000) },
      ],
      after: rows(22_400, 44_800),
    },
  });
  const results: Results = { choreography: { fixed: { run: soak, figures: phaseFigures(soak) } } };

  it('shows RSS at start, middle and end, and the outbox and inbox rows over the phase with its retention', () => {
    expect(memoryLines(results, { retentionS: 60 })).toEqual([
      'choreography  order-service      RSS MiB start 100, middle 180, end 150',
      'choreography  fixed phase: outbox rows 0 / 21,000 / 22,500 / 22,400, inbox rows 0 / 40,100 / 45,000 / 44,800' +
        ' (start, 30 s, 60 s, end; four databases, retention 60 s)',
    ]);
  });

  it('says when the apps ran with their default retention', () => {
    expect(memoryLines(results, {})[1]).toMatch(
      /\(start, 30 s, 60 s, end; four databases, the apps' default retention, 24 h\)$/,
    );
  });
});
