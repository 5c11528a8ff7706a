import type { SagaMode } from '@passo/contracts';
import { Client } from 'pg';
import type { CompareSystem } from '../system/harness';
import { setUp } from '../compare/traffic';
import type { PlannedOrder, Workload } from '../compare/workload';
import { checkInvariants } from '../audit';
import { SERVICES } from '../migrator/migrator';
import { appProcess, type MeasuredProcess, type OrderTimes, type SagaTarget, type TableCounts } from './target';

/**
 * Passo in one saga mode, on the compare harness's system (four apps, fresh databases, own
 * streams): both modes share it, each phase on products and wallets of its own.
 */
export class PassoTarget implements SagaTarget {
  readonly clock = "the order's created_at → its terminal updated_at (orders table)";
  readonly processes: MeasuredProcess[];

  constructor(
    readonly name: SagaMode,
    private readonly system: CompareSystem,
    shared: readonly MeasuredProcess[],
    private readonly readers: Map<string, Client>,
  ) {
    this.processes = [
      ...Object.values(system.apps).map((app) =>
        appProcess(app.name, app.child.pid, `${system.url(app.name)}/metrics`),
      ),
      ...shared,
    ];
  }

  /** Clients on the four databases, for the outbox and inbox tables (opened once, shared by the modes). */
  static async readersOf(system: CompareSystem): Promise<Map<string, Client>> {
    const readers = new Map<string, Client>();
    for (const { name } of SERVICES) {
      const client = new Client({ connectionString: system.databaseUrl(name) });
      client.on('error', () => undefined);
      await client.connect();
      readers.set(name, client);
    }
    return readers;
  }

  get ordersUrl(): string {
    return `${this.system.url('order-service')}/orders`;
  }

  bodyOf(order: PlannedOrder): unknown {
    return { ...order.body, sagaMode: this.name };
  }

  setUp(workload: Workload): Promise<void> {
    return setUp(this.system, workload);
  }

  async settledCount(ids: readonly string[]): Promise<number> {
    const [{ settled }] = await this.system
      .databases()
      .order<{ settled: number }>(
        `SELECT count(*)::int AS settled FROM orders WHERE id = ANY($1::uuid[]) AND status <> 'PENDING'`,
        [ids],
      );
    return settled;
  }

  async times(ids: readonly string[]): Promise<OrderTimes[]> {
    const rows = await this.system
      .databases()
      .order<{ id: string; status: string; reason: string | null; c: number; u: number }>(
        `SELECT id::text, status::text, cancellation_reason::text AS reason,
              extract(epoch FROM created_at) * 1000 AS c, extract(epoch FROM updated_at) * 1000 AS u
         FROM orders WHERE id = ANY($1::uuid[])`,
        [ids],
      );
    return rows.map((r) => ({
      id: r.id,
      status: r.status,
      reason: r.reason,
      createdMs: Number(r.c),
      updatedMs: Number(r.u),
    }));
  }

  invariants(workload: Workload): Promise<string[]> {
    return checkInvariants(this.system.databases(), workload.stockTotals, workload.initialBalances);
  }

  checkAlive(): void {
    this.system.checkAlive();
  }

  async relayLag(sinceMs: number): Promise<{ lagsMs: number[]; unpublished: number }> {
    const lagsMs: number[] = [];
    let unpublished = 0;
    for (const client of this.readers.values()) {
      const { rows } = await client.query<{ lag: number | null }>(
        `SELECT (extract(epoch FROM published_at - occurred_at) * 1000)::float8 AS lag FROM outbox_messages
          WHERE occurred_at >= to_timestamp($1::float8 / 1000)`,
        [sinceMs],
      );
      for (const { lag } of rows) {
        if (lag === null) unpublished++;
        else lagsMs.push(lag);
      }
    }
    return { lagsMs, unpublished };
  }

  async tables(): Promise<TableCounts> {
    const counts: TableCounts = {};
    for (const [name, client] of this.readers) {
      const { rows } = await client.query<{ outbox: number; inbox: number }>(
        `SELECT (SELECT count(*) FROM outbox_messages)::int AS outbox, (SELECT count(*) FROM inbox_messages)::int AS inbox`,
      );
      counts[name] = rows[0];
    }
    return counts;
  }
}
