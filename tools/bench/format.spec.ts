import { count, num, ratio, renderTable, times } from './format';

describe('ratio', () => {
  it('is above 1 when Passo is ahead: throughput passo ÷ dbos, latency and CPU dbos ÷ passo', () => {
    expect(ratio(500, 250, 'higher')).toBe(2);
    expect(ratio(50, 100, 'lower')).toBe(2);
    expect(ratio(200, 100, 'lower')).toBe(0.5);
  });

  it('is undefined when a side is missing or zero', () => {
    expect(ratio(undefined, 1, 'higher')).toBeUndefined();
    expect(ratio(1, undefined, 'lower')).toBeUndefined();
    expect(ratio(0, 1, 'lower')).toBeUndefined();
  });

  it('formats as N.NN× or —', () => {
    expect(times(0.256)).toBe('0.26×');
    expect(times(undefined)).toBe('—');
    expect(num(12.345, 1)).toBe('12.3');
    expect(num(undefined)).toBe('—');
    expect(num(Infinity)).toBe('—');
    expect(count(22_400)).toBe('22,400');
    expect(count(1_234_567)).toBe('1,234,567');
    expect(count(0)).toBe('0');
  });
});

describe('renderTable', () => {
  it('aligns labels left and figures right, with sections on their own lines', () => {
    const text = renderTable(
      ['metric', 'choreography', 'dbos', 'chor vs dbos ×'],
      [
        { section: 'closed loop' },
        { label: 'settled sagas/s', cells: ['65.2', '251.3', '0.26×'] },
        { label: 'refused', cells: ['0', '0'] },
      ],
    );
    expect(text.split('\n')).toEqual([
      'metric              choreography    dbos   chor vs dbos ×',
      '-----------------   ------------   -----   --------------',
      'closed loop',
      '  settled sagas/s           65.2   251.3            0.26×',
      '  refused                      0       0',
    ]);
  });
});
