import { amountOf, stockLines } from './stock-lines';

describe('stockLines', () => {
  it('puts lines in sku order, the one order every transaction locks products in', () => {
    const lines = stockLines([
      { sku: 'MUG-1', quantity: 1 },
      { sku: 'BOOK-2', quantity: 3 },
      { sku: 'BOOK-10', quantity: 2 },
    ]);
    expect(lines.map((line) => line.sku)).toEqual(['BOOK-10', 'BOOK-2', 'MUG-1']);
  });

  it('merges a sku listed twice into one line (one reservation line per sku)', () => {
    expect(
      stockLines([
        { sku: 'A', quantity: 2 },
        { sku: 'B', quantity: 1 },
        { sku: 'A', quantity: 3 },
      ]),
    ).toEqual([
      { sku: 'A', quantity: 5 },
      { sku: 'B', quantity: 1 },
    ]);
  });
});

describe('amountOf', () => {
  it('sums quantity × price', () => {
    expect(
      amountOf([
        { sku: 'A', quantity: 2, priceCents: 1250 },
        { sku: 'B', quantity: 3, priceCents: 99 },
      ]),
    ).toBe(2797);
  });
});
