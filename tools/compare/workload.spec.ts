import { planWorkload } from './workload';

describe('planWorkload', () => {
  const plan = planWorkload('choreography', 200, 'x1');
  const count = (outcome: string) => plan.orders.filter((o) => o.expected === outcome).length;

  it('mixes six in ten successes with one in ten of each failure', () => {
    expect([count('CONFIRMED'), count('OUT_OF_STOCK'), count('UNKNOWN_SKU')]).toEqual([120, 20, 20]);
    expect([count('INSUFFICIENT_FUNDS'), count('UNKNOWN_CUSTOMER')]).toEqual([20, 20]);
    expect(plan.orders.every((o) => o.body.sagaMode === 'choreography')).toBe(true);
  });

  it('stocks every product an order may hold at once, except the scarce one', () => {
    const available = new Map(plan.products.map((p) => [p.sku, p.available]));
    const wanted = new Map<string, number>();
    for (const { body, expected } of plan.orders) {
      if (expected === 'OUT_OF_STOCK' || expected === 'UNKNOWN_SKU') continue;
      for (const { sku, quantity } of body.items) wanted.set(sku, (wanted.get(sku) ?? 0) + quantity);
    }
    for (const [sku, quantity] of wanted) expect(available.get(sku)).toBeGreaterThanOrEqual(quantity);
    const scarce = plan.orders
      .find((o) => o.expected === 'OUT_OF_STOCK')!
      .body.items.find((i) => i.sku.startsWith('SCARCE'))!;
    expect(available.get(scarce.sku)).toBeLessThan(scarce.quantity);
  });

  it('gives each paying customer enough, the poor one less than any item, the ghosts nothing', () => {
    const price = new Map(plan.products.map((p) => [p.sku, p.priceCents]));
    const balance = new Map(plan.wallets.map((w) => [w.id, w.balanceCents]));
    const spent = new Map<string, number>();
    for (const { body } of plan.orders.filter((o) => o.expected === 'CONFIRMED')) {
      const amount = body.items.reduce((sum, item) => sum + item.quantity * price.get(item.sku)!, 0);
      spent.set(body.customerId, (spent.get(body.customerId) ?? 0) + amount);
    }
    for (const [customer, amount] of spent) expect(balance.get(customer)).toBeGreaterThanOrEqual(amount);
    const poor = plan.orders.find((o) => o.expected === 'INSUFFICIENT_FUNDS')!.body.customerId;
    expect(balance.get(poor)).toBeLessThan(Math.min(...price.values()));
    const ghosts = plan.orders.filter((o) => o.expected === 'UNKNOWN_CUSTOMER').map((o) => o.body.customerId);
    expect(ghosts.some((ghost) => balance.has(ghost))).toBe(false);
  });
});
