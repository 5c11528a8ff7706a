import { randomUUID } from 'node:crypto';
import type { OrderView, SagaMode } from '@passo/contracts';
import { eventually } from '../support/eventually';
import { DISTANT_DEADLINE_MS, passDeadlines } from '../support/saga-clock';
import { TestSystem } from './system';

const id = () => randomUUID().slice(0, 8);

describe('SAGA_MODE flipped live', () => {
  const system = new TestSystem();
  beforeAll(() => system.start());
  afterAll(() => system.stop());

  it('settles every order of a burst in the mode it was placed in, when the mode flips mid-burst', async () => {
    const [sku, ivy] = [`FLIP-${id()}`, `ivy-${id()}`];
    await system.product(sku, 100, 100);
    await system.wallet(ivy, 100_000);
    await system.setMode('choreography');
    const place = () => system.place(ivy, [{ sku, quantity: 1 }]);
    const burst = (n: number) => Array.from({ length: n }, place);
    // Placed (sagas in flight, none settled yet), then more in flight while the flip lands, then after it.
    const before = await Promise.all(burst(15));
    const during = burst(10);
    await system.setMode('orchestration');
    const after = await Promise.all(burst(15));
    const placed = [...before, ...(await Promise.all(during)), ...after];
    expect(before.every((o) => o.sagaMode === 'choreography')).toBe(true);
    expect(after.every((o) => o.sagaMode === 'orchestration')).toBe(true);
    const orders = await system.settled(
      placed.map((o) => o.id),
      60_000,
    );
    expect(orders.every((o) => o.status === 'CONFIRMED')).toBe(true);
    const modes = new Map(placed.map((o) => [o.id, o.sagaMode]));
    expect(orders.every((o) => o.sagaMode === modes.get(o.id))).toBe(true);
    for (const order of orders) {
      // Each order finished in its own model: a saga instance exactly for the orchestrated ones
      // (which records OrderConfirmed a moment after the order shows it).
      const expected =
        order.sagaMode === 'orchestration' ? ['orchestration', 200, 'CONFIRMED'] : ['choreography', 404, undefined];
      await eventually(async () => {
        const saga = await system.saga(order.id);
        expect([order.sagaMode, saga.status, saga.body.state]).toEqual(expected);
        return true;
      }, 10_000);
    }
    await eventually(async () => (await system.stock(sku)).sold === 40);
    await system.checkInvariants({ [sku]: 100 }, { [ivy]: 100_000 });
  }, 90_000);
});

describe.each<SagaMode>(['orchestration', 'choreography'])('payment-service down past the deadline (%s)', (mode) => {
  // The orchestrator's deadline is an hour away: the test times the sagas out once they are charging.
  const system = new TestSystem({
    'saga-orchestrator': { SAGA_DEADLINE_MS: DISTANT_DEADLINE_MS, SAGA_DEADLINE_CHECK_MS: '200' },
    'order-service': { SAGA_DEADLINE_MS: '3000', SAGA_AUDIT_INTERVAL_MS: '200' },
  });
  beforeAll(() => system.start());
  afterAll(() => system.stop());

  it(
    mode === 'orchestration'
      ? 'cancels with TIMEOUT and releases the stock; late payments after the restart are refunded'
      : 'leaves the orders PENDING and flags them stuck; they settle once payment-service is back',
    async () => {
      const [sku, jack] = [`SLOW-${id()}`, `jack-${id()}`];
      await system.product(sku, 250, 10);
      await system.wallet(jack, 10_000);
      await system.apps['payment-service'].stop();
      const placed = await Promise.all(
        Array.from({ length: 4 }, () => system.place(jack, [{ sku, quantity: 1 }], mode)),
      );
      const ids = placed.map((o) => o.id);
      await eventually(async () => (await system.stock(sku)).reserved === 4);

      if (mode === 'orchestration') {
        // Every saga waits for its ChargePayment's answer when its deadline passes.
        await eventually(async () => {
          const sagas = await Promise.all(ids.map((o) => system.saga(o)));
          return sagas.every((saga) => saga.body.state === 'CHARGING');
        });
        await passDeadlines(system.dbs['saga-orchestrator'], ids);
        const orders = await system.settled(ids, 30_000);
        expect(orders.map((o) => [o.status, o.cancellationReason])).toEqual(ids.map(() => ['CANCELLED', 'TIMEOUT']));
        await eventually(async () => (await system.stock(sku)).reserved === 0);
        expect(await system.stock(sku)).toMatchObject({ available: 10, sold: 0 });
      } else {
        await eventually(async () => {
          const metrics = (await fetch(`${system.url('order-service')}/metrics`).then((r) => r.text())) as string;
          return metrics.includes('passo_saga_stuck{mode="choreography"} 4');
        }, 20_000);
        expect((await Promise.all(ids.map((o) => system.order(o)))).every((o) => o.status === 'PENDING')).toBe(true);
      }

      // Back up: it now handles the charges it missed (commands or events, waiting in its stream).
      await system.boot('payment-service');
      if (mode === 'orchestration') {
        await eventually(async () => {
          const payments = (await Promise.all(ids.map((o) => system.payments(o)))).flat();
          return payments.length === 4 && payments.every((p) => p.status === 'REFUNDED');
        }, 30_000);
        expect(await system.balance(jack)).toBe(10_000);
        const orders = await Promise.all(ids.map((o) => system.order(o)));
        expect(orders.every((o: OrderView) => o.status === 'CANCELLED')).toBe(true);
      } else {
        const orders = await system.settled(ids, 30_000);
        expect(orders.every((o) => o.status === 'CONFIRMED')).toBe(true);
        await eventually(async () => (await system.stock(sku)).sold === 4);
      }
      await system.checkInvariants({ [sku]: 10 }, { [jack]: 10_000 });
    },
    90_000,
  );
});
