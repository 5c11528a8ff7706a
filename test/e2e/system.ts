import type { CustomerView, OrderView, PaymentView, ProductView, SagaMode, SagaView } from '@passo/contracts';
import type { AuditOptions } from '../../tools/audit';
import type { PassoSystem, ServiceApp } from '../../tools/system/passo-system';
import type { TestDatabase } from '../support/databases';
import { eventually } from '../support/eventually';
import { http } from '../support/http';
import { testPassoSystem, type TestServers } from '../support/passo-system';

export type { ServiceApp };
export type SystemServers = TestServers;

/**
 * The four apps as real processes, on their own databases and stream prefix (the tools' harness,
 * tools/system/passo-system.ts), with the e2e tests' helpers: each HTTP call checks its answer.
 */
export class TestSystem {
  private readonly system: PassoSystem<TestDatabase>;

  constructor(
    /** Extra environment per app, e.g. a short saga deadline for the orchestrator. */
    env: Partial<Record<ServiceApp, Record<string, string>>> = {},
    /** Servers other than the suite's shared ones (the outage tests stop theirs). */
    servers: SystemServers = {},
  ) {
    this.system = testPassoSystem({
      // A killed service's unacknowledged messages come back after this: short, so tests stay quick.
      env: { MESSAGING_ACK_WAIT_MS: '5000' },
      appEnv: env,
      servers,
    });
  }

  get prefix() {
    return this.system.prefix;
  }
  get apps() {
    return this.system.apps;
  }
  get dbs() {
    return this.system.dbs;
  }

  async start(): Promise<this> {
    await this.system.createDatabases();
    await this.system.startApps();
    return this;
  }

  /** Starts one app again (after the test killed it, or it crashed). */
  async boot(app: ServiceApp): Promise<void> {
    await this.system.boot(app);
  }

  stop = () => this.system.stop();
  url = (app: ServiceApp) => this.system.url(app);
  /** The four databases, as `npm run audit` reads them. */
  databases = () => this.system.databases();

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

  /** `npm run audit` on this system (default: the live deadlines): the violations' sentences. */
  async audit(options: AuditOptions = {}): Promise<string[]> {
    return (await this.system.audit(options)).violations.map((v) => v.message);
  }

  /**
   * docs/ARCHITECTURE.md, "Failure semantics" 1–4, checked from the databases once all sagas settled: the
   * full audit (tools/audit) with deadline 0 and what the test set up — every order settled; no
   * reservation left; stock and money conserved; exactly one completed payment per confirmed order and
   * none for any other; no ghost or missing effect anywhere in the system's databases.
   */
  async checkInvariants(stockTotals: Record<string, number>, initialBalances: Record<string, number>): Promise<void> {
    expect(await this.system.checkInvariants(stockTotals, initialBalances)).toEqual([]);
  }
}
