import { textTable } from '../compare/text-table';
import type { Violation, ViolationKind } from '../audit';
import type { ScenarioResult } from './run-scenario';

const count = (violations: readonly Violation[], kind: ViolationKind) =>
  violations.filter((v) => v.kind === kind).length;

const ROWS: [string, (r: ScenarioResult) => string][] = [
  ['POST /orders answered 201', (r) => String(r.accepted)],
  ['POST /orders failed ¹', (r) => String(r.refused)],
  ['orders in the database', (r) => String(r.orders.total)],
  ['settled (confirmed / cancelled)', (r) => `${r.orders.confirmed} / ${r.orders.cancelled}`],
  ['stuck (PENDING) ²', (r) => String(r.orders.pending)],
  ['events lost ³', (r) => String(count(r.audit.violations, 'unsettled-order'))],
  ['ghost effects ⁴', (r) => String(count(r.audit.violations, 'ghost-effect'))],
  ['duplicate charges / reservations ⁵', (r) => String(count(r.audit.violations, 'double-effect'))],
  ['money drift (cents) ⁶', (r) => String(r.moneyDrift)],
  ['stock drift (units) ⁷', (r) => String(r.stockDrift)],
  ['app restarts after a crash', (r) => String(r.restarts)],
  ['the auditor says', (r) => (r.audit.violations.length === 0 ? 'clean' : `${r.audit.violations.length} violations`)],
];

/** Rows × scenario columns, plain text, aligned. */
export function demoTable(results: readonly ScenarioResult[]): string {
  return textTable(
    ['', ...results.map((r) => r.scenario.name)],
    ROWS.map(([name, cell]) => [name, ...results.map(cell)]),
  );
}

export function demoFootnotes(orders: number, seed: number, faults: string, redeliver: number): string {
  return [
    `${orders} orders per column (six in ten meant to succeed), each column on fresh databases, every app with PASSO_LAB=on;`,
    `deliveries under ${faults} (seed ${seed}); the inbox columns under redeliver ${redeliver} with the outbox.`,
    '¹ a 503 (a fault failed the request) or a connection that died with the app: the client was not told "placed".',
    '² PENDING when nothing had moved for a while: no message left to move them (the auditor reads them at deadline 0).',
    '³ the auditor\'s unsettled orders: each names what the data shows went missing (e.g. "no OrderPlaced recorded").',
    '⁴ a reservation or payment for an order that does not exist, or kept for a CANCELLED one.',
    '⁵ more than one completed payment or reservation for one order (the schema refuses them; the inbox-off debit shows as money drift).',
    '⁶ per customer |balance + completed payments − starting balance|, summed.',
    '⁷ per SKU |available + reserved + sold − stock set up|, summed, plus stock still reserved at the end.',
    "Every violation with its ids: rerun with --details. Apps' logs: .passo/demo/.",
  ].join('\n');
}
