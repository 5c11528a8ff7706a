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
