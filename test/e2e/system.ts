import { randomUUID } from 'node:crypto';
import type { CustomerView, OrderView, PaymentView, ProductView, SagaMode, SagaView } from '@passo/contracts';
import { audit, checkInvariants, type AuditDatabases, type AuditOptions } from '../../tools/audit';
import type { ServiceName } from '../../tools/migrator/migrator';
import { SERVICES, type ServiceSpec } from '../../tools/services/services';
import { startApp, type AppProcess } from '../support/app-process';
import { testDatabase, testNatsUrl, type TestDatabase } from '../support/databases';
import { eventually } from '../support/eventually';
import { http } from '../support/http';

type ServiceApp = ServiceSpec['app'];
/** The services' one table (tools/services/services.ts), by app. */
const spec = (app: ServiceApp) => SERVICES.find((s) => s.app === app)!;
const APP_NAMES = SERVICES.map((s) => s.app);

export type { ServiceApp };

export interface SystemServers {
  /** Makes one service's database (default: a copy of the shared server's template). */
  database?: (service: ServiceName) => Promise<TestDatabase>;
  natsUrl?: string;
}

/** The four apps as real processes, on their own databases and stream prefix. */
export class TestSystem {
  readonly prefix = `t${randomUUID().slice(0, 8)}`;
  readonly apps = {} as Record<ServiceApp, AppProcess>;
  readonly dbs = {} as Record<ServiceApp, TestDatabase>;

  constructor(
    /** Extra environment per app, e.g. a short saga deadline for the orchestrator. */
    private readonly env: Partial<Record<ServiceApp, Record<string, string>>> = {},
    /** Servers other than the suite's shared ones (the outage tests stop theirs). */
    private readonly servers: SystemServers = {},
  ) {}

  async start(): Promise<this> {
    const database = this.servers.database ?? testDatabase;
    for (const app of APP_NAMES) this.dbs[app] = await database(spec(app).name);
    await Promise.all(APP_NAMES.map((app) => this.boot(app)));
    return this;
  }

  async boot(app: ServiceApp): Promise<void> {
    this.apps[app] = await startApp(app, {
      [spec(app).urlEnv]: this.dbs[app].url,
      NATS_URL: this.servers.natsUrl ?? testNatsUrl(),
      PASSO_TOPOLOGY_PREFIX: this.prefix,
      // A killed service's unacknowledged messages come back after this: short, so tests stay quick.
      MESSAGING_ACK_WAIT_MS: '5000',
      ...this.env[app],
    });
  }

  async stop(): Promise<void> {
    await Promise.all(Object.values(this.apps).map((app) => app.stop()));
    await Promise.all(Object.values(this.dbs).map((db) => db.drop()));
  }

  url = (app: ServiceApp) => this.apps[app].url;

  async product(sku: string, priceCents: number, available: number): Promise<void> {
    expect(
      (await http('PUT', `${this.url('inventory-service')}/products/${sku}`, { priceCents, available })).status,
    ).toBe(200);
  }

  async wallet(id: string, balanceCents: number): Promise<void> {
    expect((await http('PUT', `${this.url('payment-service')}/customers/${id}`, { balanceCents })).status).toBe(200);
  }

  /** Places an order; without `sagaMode` the service's current default decides. */
  async place(customerId: string, items: { sku: string; quantity: number }[], sagaMode?: SagaMode, key?: string) {
    const headers: Record<string, string> = key ? { 'Idempotency-Key': key } : {};
    const response = await http<OrderView>(
      'POST',
      `${this.url('order-service')}/orders`,
      { customerId, items, sagaMode },
      headers,
    );
    expect([200, 201]).toContain(response.status);
    return response.body;
  }

  order = async (id: string) => (await http<OrderView>('GET', `${this.url('order-service')}/orders/${id}`)).body;
  stock = async (sku: string) =>
    (await http<ProductView>('GET', `${this.url('inventory-service')}/products/${sku}`)).body;
  balance = async (id: string) =>
    (await http<CustomerView>('GET', `${this.url('payment-service')}/customers/${id}`)).body.balanceCents;
  payments = async (orderId: string) =>
    (await http<PaymentView[]>('GET', `${this.url('payment-service')}/payments?orderId=${orderId}`)).body;

  saga = (orderId: string) => http<SagaView>('GET', `${this.url('saga-orchestrator')}/sagas/${orderId}`);

  async setMode(mode: SagaMode): Promise<void> {
    expect((await http('PUT', `${this.url('order-service')}/saga-mode`, { mode })).body).toEqual({ mode });
  }

  /** Waits until every order left PENDING and returns them. */
  async settled(ids: string[], timeoutMs = 30_000): Promise<OrderView[]> {
    const orders = await eventually(async () => {
      const current = await Promise.all(ids.map((id) => this.order(id)));
      return current.every((o) => o.status !== 'PENDING') ? current : undefined;
    }, timeoutMs);
    return orders as OrderView[];
  }

  /** The four databases, as `npm run audit` reads them. */
  databases(): AuditDatabases {
    return {
      order: this.dbs['order-service'].query,
      inventory: this.dbs['inventory-service'].query,
      payment: this.dbs['payment-service'].query,
      orchestrator: this.dbs['saga-orchestrator'].query,
    };
  }

  /** `npm run audit` on this system (default: the live deadlines): the violations' sentences. */
  async audit(options: AuditOptions = {}): Promise<string[]> {
    return (await audit(this.databases(), options)).violations.map((v) => v.message);
  }

  /**
   * docs/ARCHITECTURE.md, "Failure semantics" 1–4, checked from the databases once all sagas settled: the
   * full audit (tools/audit) with deadline 0 and what the test set up — every order settled; no
   * reservation left; stock and money conserved; exactly one completed payment per confirmed order and
   * none for any other; no ghost or missing effect anywhere in the system's databases.
   */
  async checkInvariants(stockTotals: Record<string, number>, initialBalances: Record<string, number>): Promise<void> {
    expect(await checkInvariants(this.databases(), stockTotals, initialBalances)).toEqual([]);
  }
}
