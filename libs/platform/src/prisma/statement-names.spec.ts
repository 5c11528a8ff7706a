import { statementNames } from './statement-names';

describe('statementNames', () => {
  it('gives a text the same name every time, and another text another name', () => {
    const name = statementNames();
    const [a, b] = [name({ sql: 'SELECT 1' }), name({ sql: 'SELECT 2' })];
    expect(a).not.toBe('');
    expect(b).not.toBe(a);
    expect(name({ sql: 'SELECT 1' })).toBe(a);
  });

  it('names at most `max` texts: later ones run unnamed, the named keep their names', () => {
    const name = statementNames(2);
    const first = name({ sql: 'SELECT 1' });
    name({ sql: 'SELECT 2' });
    expect(name({ sql: 'SELECT 3' })).toBe('');
    expect(name({ sql: 'SELECT 1' })).toBe(first);
  });
});
