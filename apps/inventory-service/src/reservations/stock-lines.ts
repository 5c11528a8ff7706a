import type { StockReservationFailed } from '@passo/contracts';

export interface StockLine {
  sku: string;
  quantity: number;
}

export interface PricedLine extends StockLine {
  priceCents: number;
}

/** Code-unit order, the same in every transaction (not the database's collation, which may differ). */
export function bySku(a: StockLine, b: StockLine): number {
  return a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0;
}

/**
 * The lines to reserve, one per sku, in sku order: every transaction locks products in this one
 * order, so two orders sharing skus wait for each other instead of deadlocking.
 */
export function stockLines(items: readonly StockLine[]): StockLine[] {
  const quantities = new Map<string, number>();
  for (const { sku, quantity } of items) quantities.set(sku, (quantities.get(sku) ?? 0) + quantity);
  return [...quantities].map(([sku, quantity]) => ({ sku, quantity })).sort(bySku);
}

export function amountOf(lines: readonly PricedLine[]): number {
  return lines.reduce((sum, line) => sum + line.quantity * line.priceCents, 0);
}

export type Refusal = StockReservationFailed['reason'];

/**
 * Every line at its product's price, or the first line (in sku order) that cannot be reserved and
 * why: no such product, or not enough available.
 */
export function priceLines(
  lines: readonly StockLine[],
  stock: ReadonlyMap<string, { available: number; priceCents: number }>,
): { lines: PricedLine[] } | { refused: Refusal; sku: string } {
  const priced: PricedLine[] = [];
  for (const line of lines) {
    const product = stock.get(line.sku);
    if (!product) return { refused: 'UNKNOWN_SKU', sku: line.sku };
    if (product.available < line.quantity) return { refused: 'OUT_OF_STOCK', sku: line.sku };
    priced.push({ ...line, priceCents: product.priceCents });
  }
  return { lines: priced };
}
