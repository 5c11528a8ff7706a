import type { CancellationReason, OrderItemSchema, SagaMode } from '@passo/contracts';
import type { z } from 'zod';

export type Outcome = 'CONFIRMED' | CancellationReason;
type Item = z.infer<typeof OrderItemSchema>;

export interface PlannedOrder {
  body: { customerId: string; items: Item[]; sagaMode: SagaMode };
  /** What the saga must end in: the set-up makes every outcome certain, whatever the timing. */
  expected: Outcome;
}

export interface Workload {
  products: { sku: string; priceCents: number; available: number }[];
  wallets: { id: string; balanceCents: number }[];
  orders: PlannedOrder[];
  /** For the invariants: per SKU available + reserved + sold, per customer the starting balance. */
  stockTotals: Record<string, number>;
  initialBalances: Record<string, number>;
}

/** What the n-th order of a workload is meant to do, repeated over the orders. */
export type Mix = readonly ('ok' | Exclude<Outcome, 'CONFIRMED' | 'TIMEOUT'>)[];

/** Six in ten orders succeed; one in ten of each way to fail. Interleaved, so every phase of the run sees all. */
export const COMPARE_MIX: Mix = [
  'ok',
  'ok',
  'ok',
  'ok',
  'ok',
  'ok',
  'OUT_OF_STOCK',
  'UNKNOWN_SKU',
  'INSUFFICIENT_FUNDS',
  'UNKNOWN_CUSTOMER',
];
const PLENTY_SKUS = 5;
const ORDERS_PER_RICH_WALLET = 20;

/**
 * The same shape of work for any mode, on names of its own (`tag`): plenty of stock and money
 * for the orders meant to succeed, one SKU with too little stock, one never created, one poor
 * wallet (less than the cheapest item), customers that have no wallet.
 */
export function planWorkload(mode: SagaMode, count: number, tag: string, mix: Mix = COMPARE_MIX): Workload {
  const plenty = Array.from({ length: PLENTY_SKUS }, (_, i) => ({
    sku: `STOCK-${i}-${tag}`,
    priceCents: 100 * (i + 1),
  }));
  const scarce = `SCARCE-${tag}`;
  const poor = `poor-${tag}`;
  const stockNeeded = new Map(plenty.map((p) => [p.sku, 0]));
  const spent = new Map<string, number>();
  const take = (items: Item[]) => {
    for (const { sku, quantity } of items)
      if (stockNeeded.has(sku)) stockNeeded.set(sku, stockNeeded.get(sku)! + quantity);
    return items;
  };
  const orders = Array.from({ length: count }, (_, n): PlannedOrder => {
    const [first, second] = [plenty[n % PLENTY_SKUS], plenty[(n + 2) % PLENTY_SKUS]];
    const quantity = 1 + (n % 3);
    const rich = `rich-${Math.floor(n / ORDERS_PER_RICH_WALLET)}-${tag}`;
    const order = (customerId: string, items: Item[], expected: Outcome) => ({
      body: { customerId, items: take(items), sagaMode: mode },
      expected,
    });
    switch (mix[n % mix.length]) {
      case 'OUT_OF_STOCK':
        return order(
          rich,
          [
            { sku: first.sku, quantity: 1 },
            { sku: scarce, quantity: 2 },
          ],
          'OUT_OF_STOCK',
        );
      case 'UNKNOWN_SKU':
        return order(
          rich,
          [
            { sku: first.sku, quantity: 1 },
            { sku: `NONE-${tag}`, quantity: 1 },
          ],
          'UNKNOWN_SKU',
        );
      case 'INSUFFICIENT_FUNDS':
        return order(poor, [{ sku: first.sku, quantity }], 'INSUFFICIENT_FUNDS');
      case 'UNKNOWN_CUSTOMER':
        return order(`ghost-${n}-${tag}`, [{ sku: first.sku, quantity }], 'UNKNOWN_CUSTOMER');
      default: {
        const items =
          n % 2
            ? [
                { sku: first.sku, quantity },
                { sku: second.sku, quantity: 1 },
              ]
            : [{ sku: first.sku, quantity }];
        const price = (sku: string) => plenty.find((p) => p.sku === sku)!.priceCents;
        const amount = items.reduce((sum, item) => sum + item.quantity * price(item.sku), 0);
        spent.set(rich, (spent.get(rich) ?? 0) + amount);
        return order(rich, items, 'CONFIRMED');
      }
    }
  });
  // Stock for every order that may hold it at once, plus a margin, so only the scarce SKU runs out.
  const products = [
    ...plenty.map((p) => ({ ...p, available: stockNeeded.get(p.sku)! + 10 })),
    { sku: scarce, priceCents: 100, available: 1 },
  ];
  const wallets = [
    ...[...spent].map(([id, amount]) => ({ id, balanceCents: amount + 1_000 })),
    { id: poor, balanceCents: 50 },
  ];
  return {
    products,
    wallets,
    orders,
    stockTotals: Object.fromEntries(products.map((p) => [p.sku, p.available])),
    initialBalances: Object.fromEntries(wallets.map((w) => [w.id, w.balanceCents])),
  };
}
