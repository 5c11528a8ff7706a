import { StuckSet } from './stuck-set';

const order = (id: string) => ({ id, customerId: `customer-${id}`, sagaMode: 'choreography' as const, ageMs: 31_000 });

describe('StuckSet', () => {
  const audit = (set: StuckSet, ids: string[]) => {
    const stuck = ids.map(order);
    const changes = set.diff(stuck);
    set.remember(stuck);
    return changes;
  };

  it('reports an order once when it becomes stuck, and once when it leaves', () => {
    const set = new StuckSet();
    expect(audit(set, ['a'])).toEqual({ newlyStuck: [order('a')], left: [] });
    expect(audit(set, ['a', 'b'])).toEqual({ newlyStuck: [order('b')], left: [] });
    expect(audit(set, ['b'])).toEqual({ newlyStuck: [], left: ['a'] });
    expect(audit(set, [])).toEqual({ newlyStuck: [], left: ['b'] });
    expect(audit(set, [])).toEqual({ newlyStuck: [], left: [] });
  });

  it('reports the same changes again when they were not remembered (a failed run)', () => {
    const set = new StuckSet();
    audit(set, ['a']);
    expect(set.diff([order('b')])).toEqual({ newlyStuck: [order('b')], left: ['a'] });
    expect(set.diff([order('b')])).toEqual({ newlyStuck: [order('b')], left: ['a'] });
  });

  it('remembers only the orders stuck now', () => {
    const set = new StuckSet();
    for (let run = 0; run < 100; run++) audit(set, [`o${run}`, `o${run + 1}`]);
    expect(set.size).toBe(2);
  });
});
