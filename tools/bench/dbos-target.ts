import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client } from 'pg';
import { isHealthy } from '../system/apps';
import type { PlannedOrder, Workload } from '../compare/workload';
import { dropDatabase, ensureDatabase, withDatabase } from '../devstack/pg-admin';
import { ROOT } from '../devstack/paths';
import { freePort, waitFor } from '../devstack/ports';
import { DBOS_APP_SCHEMA } from './dbos/schema';
import { appProcess, type MeasuredProcess, type OrderTimes, type SagaTarget } from './target';

const APP_ENTRY = join(ROOT, 'tools', 'bench', 'dbos', 'app.ts');

/**
 * The DBOS baseline: dbos/app.ts as a child process on databases of its own (the app's tables,
 * DBOS's system database) on the same PostgreSQL server, dropped at the end.
 */
export class DbosTarget implements SagaTarget {
  readonly name = 'dbos';
  readonly clock = "the workflow's created_at → updated_at (dbos.workflow_status, epoch ms)";
  processes: MeasuredProcess[] = [];
  ordersUrl = '';
  private child?: ChildProcess;
  private exit?: string;
  private app?: Client;
  private system?: Client;
  private readonly appUrl: string;
  private readonly systemUrl: string;

  constructor(
    server: string,
    private readonly shared: readonly MeasuredProcess[],
    private readonly logFile: string,
    private readonly nodeArgs: readonly string[] = [],
  ) {
    const tag = randomBytes(3).toString('hex');
    this.appUrl = withDatabase(server, `passo_bench_dbos_app_${tag}`);
    this.systemUrl = withDatabase(server, `passo_bench_dbos_sys_${tag}`);
  }

  async start(): Promise<void> {
    await ensureDatabase(this.appUrl);
    this.app = await connected(this.appUrl);
    await this.app.query(DBOS_APP_SCHEMA);
    const port = await freePort();
    const out = openSync(this.logFile, 'a');
    this.child = spawn(process.execPath, [...this.nodeArgs, '--import', 'tsx', APP_ENTRY], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        DBOS_APP_DATABASE_URL: this.appUrl,
        DBOS_SYSTEM_DATABASE_URL: this.systemUrl, // DBOS creates and migrates it at launch
        PORT: String(port),
      },
      stdio: ['ignore', out, out],
    });
    closeSync(out);
    this.child.once('exit', (code, signal) => (this.exit = String(code ?? signal)));
    this.ordersUrl = `http://127.0.0.1:${port}/orders`;
    this.processes = [appProcess('dbos-app', this.child.pid), ...this.shared];
    await waitFor(
      'the DBOS app',
      async () => {
        this.checkAlive();
        return isHealthy(port);
      },
      60_000,
    );
    this.system = await connected(this.systemUrl);
  }

  bodyOf(order: PlannedOrder): unknown {
    return { customerId: order.body.customerId, items: order.body.items };
  }

  async setUp(workload: Workload): Promise<void> {
    for (const { sku, priceCents, available } of workload.products) {
      await this.app!.query('INSERT INTO products (sku, price_cents, available) VALUES ($1, $2, $3)', [
        sku,
        priceCents,
        available,
      ]);
    }
    for (const { id, balanceCents } of workload.wallets) {
      await this.app!.query('INSERT INTO customers (id, balance_cents) VALUES ($1, $2)', [id, balanceCents]);
    }
  }

  async settledCount(ids: readonly string[]): Promise<number> {
    const { rows } = await this.system!.query<{ settled: number }>(
      `SELECT count(*)::int AS settled FROM dbos.workflow_status
        WHERE workflow_uuid = ANY($1::text[]) AND status NOT IN ('PENDING', 'ENQUEUED')`,
      [ids],
    );
    return rows[0].settled;
  }

  async times(ids: readonly string[]): Promise<OrderTimes[]> {
    const { rows: workflows } = await this.system!.query<{ id: string; status: string; c: string; u: string }>(
      `SELECT workflow_uuid AS id, status, created_at::text AS c, updated_at::text AS u FROM dbos.workflow_status
        WHERE workflow_uuid = ANY($1::text[])`,
      [ids],
    );
    const { rows: orders } = await this.app!.query<{ id: string; status: string; reason: string | null }>(
      `SELECT id::text, status, cancellation_reason AS reason FROM orders WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    const order = new Map(orders.map((o) => [o.id, o]));
    return workflows.map((w) => ({
      id: w.id,
      // A workflow that ended in ERROR left its order as it was: say so rather than trust the order row.
      status: w.status === 'SUCCESS' ? (order.get(w.id)?.status ?? 'MISSING') : `workflow ${w.status}`,
      reason: order.get(w.id)?.reason ?? null,
      createdMs: Number(w.c),
      updatedMs: Number(w.u),
    }));
  }

  /** The same promises as Passo's invariants, on the baseline's tables. */
  async invariants(workload: Workload): Promise<string[]> {
    const violations: string[] = [];
    const q = async <R>(sql: string, params: unknown[] = []) => (await this.app!.query(sql, params)).rows as R[];
    for (const p of await q<{ sku: string; available: number; reserved: number; sold: number }>(
      'SELECT sku, available, reserved, sold FROM products WHERE sku = ANY($1::text[])',
      [Object.keys(workload.stockTotals)],
    )) {
      const total = p.available + p.reserved + p.sold;
      if (total !== workload.stockTotals[p.sku])
        violations.push(`SKU ${p.sku}: stock ${total}, expected ${workload.stockTotals[p.sku]}`);
      if (p.reserved !== 0) violations.push(`SKU ${p.sku}: ${p.reserved} still reserved`);
    }
    for (const c of await q<{ id: string; balance: number; paid: number }>(
      `SELECT c.id, c.balance_cents::float8 AS balance,
              coalesce((SELECT sum(amount_cents) FROM payments p WHERE p.customer_id = c.id), 0)::float8 AS paid
         FROM customers c WHERE c.id = ANY($1::text[])`,
      [Object.keys(workload.initialBalances)],
    )) {
      if (c.balance + c.paid !== workload.initialBalances[c.id])
        violations.push(`customer ${c.id}: balance ${c.balance} + paid ${c.paid} ≠ ${workload.initialBalances[c.id]}`);
    }
    const [counts] = await q<{ pending: number; paid_not_confirmed: number; confirmed_unpaid: number }>(
      `SELECT (SELECT count(*) FROM orders WHERE status = 'PENDING')::int AS pending,
              (SELECT count(*) FROM payments p JOIN orders o ON o.id = p.order_id WHERE o.status <> 'CONFIRMED')::int AS paid_not_confirmed,
              (SELECT count(*) FROM orders o WHERE o.status = 'CONFIRMED'
                  AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.id))::int AS confirmed_unpaid`,
    );
    if (counts.pending > 0) violations.push(`${counts.pending} order(s) still PENDING`);
    if (counts.paid_not_confirmed > 0)
      violations.push(`${counts.paid_not_confirmed} payment(s) for an order not CONFIRMED`);
    if (counts.confirmed_unpaid > 0) violations.push(`${counts.confirmed_unpaid} CONFIRMED order(s) without a payment`);
    return violations;
  }

  checkAlive(): void {
    if (this.exit !== undefined) throw new Error(`the DBOS app exited (${this.exit}):\n${tail(this.logFile)}`);
  }

  /** SIGTERM (the app shuts DBOS down and exits, writing its profile), then drops both databases. */
  async stop(): Promise<void> {
    for (const client of [this.app, this.system]) await client?.end().catch(() => undefined);
    this.app = this.system = undefined;
    const child = this.child;
    if (child && this.exit === undefined) {
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    for (const url of [this.appUrl, this.systemUrl]) await dropDatabase(url).catch(() => undefined);
  }
}

async function connected(url: string): Promise<Client> {
  const client = new Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-20).join('\n');
  } catch {
    return '(no output)';
  }
}
