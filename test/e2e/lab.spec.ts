import { randomUUID } from 'node:crypto';
import {
  DEFAULT_LAB_SETTINGS,
  type LabSettings,
  type LabSettingsPatch,
  OrderPlaced,
  type OrderView,
  type PaymentView,
  type SagaMode,
} from '@passo/contracts';
import { Topology } from '@passo/outbox';
import { audit, type AuditOptions, type Violation } from '../../tools/audit';
import { eventually } from '../support/eventually';
import { fields, http } from '../support/http';
import { readOrderPlaced, storedMessages } from '../support/nats';
import { type ServiceApp, TestSystem } from './system';

/**
 * The dual-write lab (docs/ARCHITECTURE.md, "The dual-write lab") on the real apps: the naive
 * deliveries lose and invent data under the very faults the outbox shrugs off.
 */
const APPS: ServiceApp[] = ['order-service', 'inventory-service', 'payment-service', 'saga-orchestrator'];

describe('the lab off (the default)', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await new TestSystem({ 'order-service': { PASSO_LAB: 'off' } }).start();
  });
  afterAll(() => system?.stop());

  it('answers 404 on every app, and nothing armed through it fires: the saga runs as ever', async () => {
    for (const app of APPS) {
      expect((await http('GET', `${system.url(app)}/lab`)).status).toBe(404);
      const armed = { delivery: 'publish-after-commit', faults: { crashAfterCommit: 1, publishFails: 1 } };
      expect((await http('PUT', `${system.url(app)}/lab`, armed)).status).toBe(404);
    }
    const [sku, customer] = [`sku-${randomUUID()}`, `c-${randomUUID()}`];
    await system.product(sku, 100, 5);
    await system.wallet(customer, 1_000);
    const placed = await system.place(customer, [{ sku, quantity: 1 }]);
    const [order] = await system.settled([placed.id]);
    expect(order.status).toBe('CONFIRMED');
    expect(system.apps['order-service'].child.exitCode).toBeNull();
    await eventually(async () => (await system.stock(sku)).reserved === 0); // sold, once OrderConfirmed arrives
    await system.checkInvariants({ [sku]: 5 }, { [customer]: 1_000 });
  });
});

let system: TestSystem;
const LAB_ON = Object.fromEntries(APPS.map((app) => [app, { PASSO_LAB: 'on' }]));

/** One system with the lab on for the tests inside; every app's lab reset after each test. */
function withLabSystem(): void {
  beforeAll(async () => {
    system = await new TestSystem(LAB_ON).start();
  });
  afterAll(() => system?.stop());
  afterEach(async () => {
    for (const app of APPS) await configure(app, { reset: true });
  });
}

async function configure(app: ServiceApp, patch: LabSettingsPatch): Promise<LabSettings> {
  const response = await http<LabSettings>('PUT', `${system.url(app)}/lab`, patch);
  expect(response.status).toBe(200);
  return response.body;
}
const settings = async (app: ServiceApp) => (await http<LabSettings>('GET', `${system.url(app)}/lab`)).body;

/** A stocked SKU and a funded customer of this test's own. */
async function shop(stock = 10, balanceCents = 10_000) {
  const [sku, customer] = [`sku-${randomUUID()}`, `c-${randomUUID()}`];
  await system.product(sku, 100, stock);
  await system.wallet(customer, balanceCents);
  return { sku, customer, order: { customerId: customer, items: [{ sku, quantity: 1 }] } };
}

const post = (body: unknown, sagaMode?: SagaMode) =>
  http<OrderView>('POST', `${system.url('order-service')}/orders`, { ...(body as object), sagaMode });
/** POST /orders whose connection may die with the app: the response, or undefined. */
const postDying = (body: unknown) => post(body).catch(() => undefined);
const ordersOf = async (customer: string) =>
  (await system.dbs['order-service'].query<{ id: string; status: string }>(
    'SELECT id::text, status::text FROM orders WHERE customer_id = $1',
    [customer],
  )) as { id: string; status: string }[];
const reservations = (orderId: string) =>
  system.dbs['inventory-service'].query<{ status: string }>(
    'SELECT status::text FROM reservations WHERE order_id = $1::uuid',
    [orderId],
  );
const payments = async (orderId: string) =>
  (await http<PaymentView[]>('GET', `${system.url('payment-service')}/payments?orderId=${orderId}`)).body;

/**
 * The app killed itself (the crash fault): boot it again, as npm start's supervisor does, with
 * the fault disarmed first (armed at 1 it would fire again at the saga's next commit).
 */
async function restartAfterCrash(app: ServiceApp): Promise<void> {
  expect(await system.apps[app].exited).toBe('SIGKILL');
  await system.dbs[app].query('DELETE FROM lab_settings');
  await system.boot(app);
}

/** What `npm run audit` (every saga due: deadline 0) finds about one order or customer. */
async function auditorFinds(id: string, options: AuditOptions = {}): Promise<Pick<Violation, 'kind' | 'message'>[]> {
  const { violations } = await audit(system.databases(), { deadlineMs: 0, graceMs: 0, ...options });
  return violations
    .filter((v) => v.orderIds.includes(id) || v.customerIds.includes(id))
    .map(({ kind, message }) => ({ kind, message }));
}

/** How many acks the app's `redeliver` fault has withheld since it started. */
async function firedRedeliveries(app: ServiceApp): Promise<number> {
  const metrics = (await http<string>('GET', `${system.url(app)}/metrics`)).body;
  const line = metrics.split('\n').find((l) => l.startsWith('passo_lab_faults_fired_total{fault="redeliver"}'));
  return line ? Number(line.split(' ').pop()) : 0;
}

/** The OrderPlaced messages the stream holds for this customer's orders. */
async function orderPlacedFor(customer: string) {
  const topology = new Topology({ prefix: system.prefix });
  const all = await storedMessages<OrderPlaced>(topology.stream('orders').name, topology.subject(OrderPlaced));
  return all.filter((m) => m.envelope.payload.customerId === customer);
}

describe('the lab on (PASSO_LAB=on)', () => {
  withLabSystem();

  it('serves the defaults on every app', async () => {
    for (const app of APPS) expect(await settings(app)).toEqual(DEFAULT_LAB_SETTINGS);
  });

  it.each<[string, unknown, string]>([
    ['an unknown delivery', { delivery: 'carrier-pigeon' }, 'delivery'],
    ['inbox neither on nor off', { inbox: 'maybe' }, 'inbox'],
    ['a probability above 1', { faults: { crashAfterCommit: 1.5 } }, 'faults.crashAfterCommit'],
    ['a negative probability', { faults: { redeliver: -0.1 } }, 'faults.redeliver'],
    ['an unknown fault', { faults: { explode: 1 } }, 'faults.explode'],
    ['an unknown key', { colour: 'red' }, 'colour'],
    ['a seed that is not an integer', { seed: 1.5 }, 'seed'],
    ['reset other than true', { reset: false }, 'reset'],
  ])('PUT /lab with %s answers 400 naming the field, and changes nothing', async (_case, body, field) => {
    await configure('payment-service', { faults: { redeliver: 0.25 } });
    const before = await settings('payment-service');
    const response = await http('PUT', `${system.url('payment-service')}/lab`, body);
    expect(response.status).toBe(400);
    expect(fields(response)).toEqual([field]);
    expect(await settings('payment-service')).toEqual(before);
  });

  it('keeps its settings across a kill -9 of the app; reset restores the defaults', async () => {
    const chosen = await configure('inventory-service', {
      delivery: 'publish-before-commit',
      inbox: 'off',
      faults: { redeliver: 0.5, publishFails: 0.25 },
      seed: 42,
    });
    expect(chosen).toEqual({
      delivery: 'publish-before-commit',
      inbox: 'off',
      faults: { ...DEFAULT_LAB_SETTINGS.faults, redeliver: 0.5, publishFails: 0.25 },
      seed: 42,
    });
    await system.apps['inventory-service'].stop('SIGKILL');
    await system.boot('inventory-service');
    expect(await settings('inventory-service')).toEqual(chosen);
    expect(await configure('inventory-service', { reset: true })).toEqual(DEFAULT_LAB_SETTINGS);
  });

  // The naive deliveries leave damage behind on purpose: no invariants checked in this system.
  describe.each<SagaMode>(['choreography', 'orchestration'])('the naive dual writes under faults, %s', (mode) => {
    it('publish-after-commit + crashAfterCommit: the order is committed, its OrderPlaced never sent — lost', async () => {
      const { customer, order } = await shop();
      await configure('order-service', { delivery: 'publish-after-commit', faults: { crashAfterCommit: 1 } });
      expect((await postDying({ ...order, sagaMode: mode }))?.status).toBeUndefined(); // died answering
      await restartAfterCrash('order-service');
      const [lost] = await ordersOf(customer);
      expect(lost.status).toBe('PENDING');
      // No outbox row to send after the restart, and nobody else knows: the stream never got it.
      expect(
        await system.dbs['order-service'].query('SELECT id FROM outbox_messages WHERE correlation_id = $1', [lost.id]),
      ).toEqual([]);
      expect(await readOrderPlaced(system.prefix, lost.id)).toBeUndefined();
      expect(await reservations(lost.id)).toEqual([]);
      expect(await auditorFinds(lost.id)).toEqual([
        { kind: 'unsettled-order', message: expect.stringMatching(/no OrderPlaced recorded/) },
      ]);
    });

    it('publish-after-commit + publishFails: the client gets 503, yet the order stays, PENDING, unannounced — lost', async () => {
      const { customer, order } = await shop();
      await configure('order-service', { delivery: 'publish-after-commit', faults: { publishFails: 1 } });
      const response = await post(order, mode);
      expect(response.status).toBe(503);
      expect(JSON.stringify(response.body)).toMatch(/lab/);
      const [lost] = await ordersOf(customer);
      expect(lost.status).toBe('PENDING');
      expect(await readOrderPlaced(system.prefix, lost.id)).toBeUndefined();
      expect(await auditorFinds(lost.id)).toEqual([
        { kind: 'unsettled-order', message: expect.stringMatching(/no OrderPlaced recorded/) },
      ]);
    });

    it('publish-before-commit + rollbackAfterPublish: no order, yet stock reserved and money taken for it — ghost effects', async () => {
      const { sku, customer, order } = await shop();
      await configure('order-service', { delivery: 'publish-before-commit', faults: { rollbackAfterPublish: 1 } });
      const response = await post(order, mode);
      expect(response.status).toBe(503);
      expect(await ordersOf(customer)).toEqual([]);
      // The OrderPlaced it sent before rolling back names an order no database holds.
      const [sent] = await orderPlacedFor(customer);
      const ghost = sent.envelope.payload.orderId;
      await eventually(async () => (await payments(ghost)).some((p) => p.status === 'COMPLETED'));
      expect(await reservations(ghost)).toEqual([{ status: 'RESERVED' }]);
      expect((await system.stock(sku)).reserved).toBe(1);
      expect(await system.balance(customer)).toBe(10_000 - 100);
      const found = await auditorFinds(ghost);
      expect(found.map((v) => v.kind)).toContain('ghost-effect');
      expect(found.every((v) => v.kind === 'ghost-effect')).toBe(true);
    });

    it('publish-before-commit, no fault: an Idempotency-Key replay returns the order and sends no second OrderPlaced', async () => {
      const { customer, order } = await shop();
      await configure('order-service', { delivery: 'publish-before-commit' });
      const headers = { 'Idempotency-Key': `key-${randomUUID()}` };
      const url = `${system.url('order-service')}/orders`;
      const first = await http<OrderView>('POST', url, { ...order, sagaMode: mode }, headers);
      const again = await http<OrderView>('POST', url, { ...order, sagaMode: mode }, headers);
      expect([first.status, again.status]).toEqual([201, 200]);
      expect(again.body.id).toBe(first.body.id);
      // The key is checked before anything is published: the replay adds no ghost to the stream.
      const sent = await orderPlacedFor(customer);
      expect(sent.map((m) => m.envelope.payload.orderId)).toEqual([first.body.id]);
    });

    it('inbox off + redeliver: each redelivered charge debits the wallet again — a duplicate effect', async () => {
      const { sku, customer, order } = await shop();
      const before = await firedRedeliveries('payment-service');
      // Seed 5 draws "lose the ack" first: the charge's message comes back at least once.
      await configure('payment-service', { inbox: 'off', faults: { redeliver: 0.5 }, seed: 5 });
      const placed = await post(order, mode);
      const [settled] = await system.settled([placed.body.id]);
      expect(settled.status).toBe('CONFIRMED');
      await eventually(async () => (await system.stock(sku)).reserved === 0);
      const redelivered = (await firedRedeliveries('payment-service')) - before;
      expect(redelivered).toBeGreaterThanOrEqual(1);
      // One payment on record, yet the wallet debited again by a redelivered charge (the counter
      // covers every message the app consumed, so it bounds the extra debits rather than counts them).
      expect(await payments(placed.body.id)).toEqual([
        expect.objectContaining({ status: 'COMPLETED', amountCents: 100 }),
      ]);
      const extra = (10_000 - 100 - (await system.balance(customer))) / 100;
      expect(extra).toBeGreaterThanOrEqual(1);
      expect(extra).toBeLessThanOrEqual(redelivered);
      expect(await auditorFinds(customer, { initialBalances: { [customer]: 10_000 } })).toEqual([
        { kind: 'money-not-conserved', message: expect.stringMatching(/expected 10000/) },
      ]);
    });
  });
});

describe('the lab on: the outbox under the same faults', () => {
  withLabSystem();

  describe.each<SagaMode>(['choreography', 'orchestration'])('%s', (mode) => {
    it('the outbox + crashAfterCommit: the row committed with the order is sent after the restart', async () => {
      const { sku, customer, order } = await shop();
      await configure('order-service', { faults: { crashAfterCommit: 1 } });
      expect((await postDying({ ...order, sagaMode: mode }))?.status).toBeUndefined();
      await restartAfterCrash('order-service');
      const [placed] = await ordersOf(customer);
      const [settled] = await system.settled([placed.id]);
      expect(settled.status).toBe('CONFIRMED');
      await eventually(async () => (await system.stock(sku)).reserved === 0); // sold, once OrderConfirmed arrives
      await system.checkInvariants({ [sku]: 10 }, { [customer]: 10_000 });
    });

    it('the outbox + publishFails: the relay retries until the broker takes it; the saga completes', async () => {
      const { sku, customer, order } = await shop();
      await configure('order-service', { faults: { publishFails: 0.7 }, seed: 7 });
      const placed = await post(order, mode);
      expect(placed.status).toBe(201);
      const [settled] = await system.settled([placed.body.id]);
      expect(settled.status).toBe('CONFIRMED');
      await eventually(async () => (await system.stock(sku)).reserved === 0); // sold, once OrderConfirmed arrives
      await system.checkInvariants({ [sku]: 10 }, { [customer]: 10_000 });
    });

    it('the outbox + rollbackAfterPublish: the order and its message roll back together — nothing happened', async () => {
      const { sku, customer, order } = await shop();
      await configure('order-service', { faults: { rollbackAfterPublish: 1 } });
      const response = await post(order, mode);
      expect(response.status).toBe(503);
      await configure('order-service', { reset: true });
      expect(await ordersOf(customer)).toEqual([]);
      expect(await orderPlacedFor(customer)).toEqual([]);
      // A later order of the same customer goes through: it is the only one anyone saw.
      const next = await post(order, mode);
      const [settled] = await system.settled([next.body.id]);
      expect(settled.status).toBe('CONFIRMED');
      await eventually(async () => (await system.stock(sku)).reserved === 0); // sold, once OrderConfirmed arrives
      await system.checkInvariants({ [sku]: 10 }, { [customer]: 10_000 });
    });

    it('inbox on + redeliver on every app: each redelivery is acknowledged without effect', async () => {
      const { sku, customer, order } = await shop();
      const before = await Promise.all(APPS.map(firedRedeliveries));
      for (const app of APPS) await configure(app, { faults: { redeliver: 0.5 }, seed: 5 });
      const ids: string[] = [];
      for (let n = 0; n < 3; n++) ids.push((await post(order, mode)).body.id);
      const settled = await system.settled(ids);
      expect(settled.map((o) => o.status)).toEqual(['CONFIRMED', 'CONFIRMED', 'CONFIRMED']);
      const after = await Promise.all(APPS.map(firedRedeliveries));
      expect(after.reduce((sum, n, i) => sum + n - before[i], 0)).toBeGreaterThan(0);
      await eventually(async () => (await system.stock(sku)).reserved === 0); // sold, once OrderConfirmed arrives
      expect(await system.balance(customer)).toBe(10_000 - 300);
      await system.checkInvariants({ [sku]: 10 }, { [customer]: 10_000 });
    });
  });
});
