import type { ProductRow, WalletRow } from './snapshot';
import type { Violation } from './types';
import { violation } from './violation';

/**
 * Per SKU: the counters are what the reservations say (always, one database, one statement),
 * and available + reserved + sold is the restocked total when the caller knows it (restocking
 * is `PUT /products/:sku`, which sets `available`: the data keeps no history of it).
 */
export function stockViolations(products: ProductRow[], stockTotals: Record<string, number> = {}): Violation[] {
  const violations: Violation[] = [];
  const bySku = new Map(products.map((p) => [p.sku, p]));
  for (const [sku, total] of Object.entries(stockTotals)) {
    const product = bySku.get(sku);
    if (!product) {
      violations.push(violation('stock-not-conserved', `SKU ${sku}: no such product`, { skus: [sku] }));
      continue;
    }
    const { available, reserved, sold } = product;
    const sum = available + reserved + sold;
    if (sum !== total) {
      const message = `SKU ${sku}: available ${available} + reserved ${reserved} + sold ${sold} = ${sum}, expected ${total}`;
      violations.push(violation('stock-not-conserved', message, { skus: [sku] }));
    }
  }
  for (const p of products) {
    const say = (message: string) => violations.push(violation('stock-not-conserved', message, { skus: [p.sku] }));
    if (p.available < 0 || p.reserved < 0 || p.sold < 0)
      say(`SKU ${p.sku}: a negative count (available ${p.available}, reserved ${p.reserved}, sold ${p.sold})`);
    if (p.reserved !== p.reservedLines)
      say(`SKU ${p.sku}: reserved ${p.reserved}, but RESERVED reservations hold ${p.reservedLines}`);
    if (p.sold !== p.soldLines) say(`SKU ${p.sku}: sold ${p.sold}, but SOLD reservations hold ${p.soldLines}`);
  }
  return violations;
}

/**
 * Per customer: never a negative balance, and balance + completed payments is the starting
 * balance when the caller knows it (a refunded payment is no longer COMPLETED: its money is
 * back in the balance). `PUT /customers/:id` sets the balance and nothing records what it was.
 */
export function moneyViolations(wallets: WalletRow[], initialBalances: Record<string, number> = {}): Violation[] {
  const violations: Violation[] = [];
  const byId = new Map(wallets.map((w) => [w.id, w]));
  for (const [id, initial] of Object.entries(initialBalances)) {
    const wallet = byId.get(id);
    const ids = { customers: [id] };
    if (!wallet) violations.push(violation('money-not-conserved', `customer ${id}: no such wallet`, ids));
    else if (wallet.balanceCents + wallet.completedCents !== initial) {
      const message = `customer ${id}: balance ${wallet.balanceCents} + completed payments ${wallet.completedCents} = ${wallet.balanceCents + wallet.completedCents}, expected ${initial}`;
      violations.push(violation('money-not-conserved', message, ids));
    }
  }
  for (const w of wallets) {
    if (w.balanceCents < 0)
      violations.push(
        violation('money-not-conserved', `customer ${w.id}: negative balance ${w.balanceCents}`, { customers: [w.id] }),
      );
  }
  return violations;
}
