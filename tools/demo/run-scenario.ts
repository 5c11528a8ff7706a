import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { SagaMode } from '@passo/contracts';
import { APPS } from '../system/apps';
import { audit, type AuditResult } from '../audit';
import type { Infra } from '../devstack/infra';
import { STATE_DIR } from '../devstack/paths';
import { CompareSystem } from '../system/harness';
import { setUp } from '../compare/traffic';
import { planWorkload } from '../compare/workload';
import type { Scenario } from './scenarios';

/** What one scenario did and left behind. */
export interface ScenarioResult {
  scenario: Scenario;
  /** POST /orders answered 201 (the client was told: placed). */
  accepted: number;
  /** …answered otherwise, or the connection died (a crash): the client was told nothing good. */
  refused: number;
  /** Rows in the order database, and how they ended. */
  orders: { total: number; confirmed: number; cancelled: number; pending: number };
  restarts: number;
  audit: AuditResult;
  /** Per customer, balance + completed payments − what the wallet started with, summed (cents). */
  moneyDrift: number;
  /** Per SKU, |available + reserved + sold − the stock set up|, summed (units), plus what stays reserved. */
  stockDrift: number;
}

export interface ScenarioOptions {
  orders: number;
  mode: SagaMode;
  concurrency: number;
  /** How long the orders may stay PENDING with nothing changing before the scenario ends. */
  quietMs: number;
  timeoutMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One scenario on a system of its own (fresh databases and streams), removed at the end. */
export async function runScenario(
  infra: Infra,
  scenario: Scenario,
  options: ScenarioOptions,
  log: (line: string) => void,
  track: (system: CompareSystem | undefined) => void,
): Promise<ScenarioResult> {
  const logs = join(STATE_DIR, 'demo');
  mkdirSync(logs, { recursive: true });
  const file = scenario.name.replace(/[^a-z0-9]+/gi, '-');
  // Each column migrates four fresh databases: their lines would drown the story.
  const quiet = (line: string) => (line.startsWith('migrate:') ? undefined : log(line));
  const system = new CompareSystem(infra, quiet, {
    name: 'lab',
    logLevel: 'warn',
    // A crashed consumer's unacknowledged messages come back after the ack wait: short, so a column
    // does not end while they are still on their way (as the e2e tests do).
    env: { PASSO_LAB: 'on', MESSAGING_ACK_WAIT_MS: '2000' },
  });
  track(system);
  try {
    await system.createDatabases();
    // Supervised as `npm start` runs them: an app the crash fault kills is restarted on its port.
    const supervisor = await system.startSupervised((app) => join(logs, `${file}.${app}.log`));
    let restarts = 0; // the supervisor says each death and restart itself
    supervisor.on('restarted', () => restarts++);
    const workload = planWorkload(options.mode, options.orders, `${file.slice(0, 6)}${Date.now().toString(36)}`);
    await setUp(system, workload);
    for (const { name } of APPS) await put(`${system.url(name)}/lab`, scenario.lab);
    const { accepted, refused } = await place(
      system,
      workload.orders.map((o) => o.body),
      options.concurrency,
    );
    await waitQuiet(system, options, log, scenario.name);
    const result = await audit(system.databases(), {
      deadlineMs: 0,
      graceMs: 0,
      stockTotals: workload.stockTotals,
      initialBalances: workload.initialBalances,
    });
    return {
      scenario,
      accepted,
      refused,
      orders: await orderCounts(system),
      restarts,
      audit: result,
      moneyDrift: await moneyDrift(system, workload.initialBalances),
      stockDrift: await stockDrift(system, workload.stockTotals),
    };
  } finally {
    track(undefined);
    await system.stop();
  }
}

async function put(url: string, body: unknown): Promise<void> {
  const response = await fetch(url, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`PUT ${url} answered ${response.status}: ${await response.text()}`);
}

/** Every order POSTed once, as a client that does not retry: 201 or not. */
async function place(system: CompareSystem, bodies: unknown[], concurrency: number) {
  let next = 0;
  const counts = { accepted: 0, refused: 0 };
  const worker = async () => {
    for (let n = next++; n < bodies.length; n = next++) {
      try {
        const response = await fetch(`${system.url('order-service')}/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(bodies[n]),
          signal: AbortSignal.timeout(10_000),
        });
        counts[response.status === 201 ? 'accepted' : 'refused']++;
      } catch {
        counts.refused++; // the order-service died answering (or was down, restarting)
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, bodies.length) }, worker));
  return counts;
}

/**
 * Until every order settled and no stock is held; or until nothing is left on its way (no outbox
 * row unpublished, no delivery unacknowledged) for `quietMs`: what is PENDING then stays so.
 */
async function waitQuiet(system: CompareSystem, options: ScenarioOptions, log: (line: string) => void, name: string) {
  const until = Date.now() + options.timeoutMs;
  let idleSince: number | undefined;
  while (Date.now() < until) {
    const counts = await orderCounts(system);
    const held = await system.databases().inventory("SELECT 1 FROM reservations WHERE status = 'RESERVED' LIMIT 1");
    if (counts.pending === 0 && held.length === 0) return;
    if ((await system.inFlight()) > 0) idleSince = undefined;
    else if (idleSince === undefined) idleSince = Date.now();
    else if (Date.now() - idleSince > options.quietMs) {
      log(`  ${name}: ${counts.pending} order(s) still PENDING, and no message left on its way to move them`);
      return;
    }
    await sleep(250);
  }
  log(`  ${name}: gave up waiting after ${options.timeoutMs / 1000} s`);
}

async function orderCounts(system: CompareSystem) {
  const rows = await system
    .databases()
    .order<{ status: string; n: number }>('SELECT status::text, count(*)::int AS n FROM orders GROUP BY status');
  const of = (status: string) => rows.find((r) => r.status === status)?.n ?? 0;
  const [confirmed, cancelled, pending] = [of('CONFIRMED'), of('CANCELLED'), of('PENDING')];
  return { total: confirmed + cancelled + pending, confirmed, cancelled, pending };
}

async function moneyDrift(system: CompareSystem, initial: Record<string, number>): Promise<number> {
  const rows = await system.databases().payment<{ id: string; total: number }>(
    `SELECT c.id, (c.balance_cents + coalesce((SELECT sum(p.amount_cents) FROM payments p
              WHERE p.customer_id = c.id AND p.status = 'COMPLETED'), 0))::float8 AS total
       FROM customers c WHERE c.id = ANY($1::text[])`,
    [Object.keys(initial)],
  );
  return rows.reduce((sum, row) => sum + Math.abs(row.total - initial[row.id]), 0);
}

async function stockDrift(system: CompareSystem, totals: Record<string, number>): Promise<number> {
  const rows = await system
    .databases()
    .inventory<{ sku: string; total: number; reserved: number }>(
      'SELECT sku, available + reserved + sold AS total, reserved FROM products WHERE sku = ANY($1::text[])',
      [Object.keys(totals)],
    );
  return rows.reduce((sum, row) => sum + Math.abs(row.total - totals[row.sku]) + row.reserved, 0);
}
