/**
 * Names for the prepared statements of one client's pool (PrismaPg's `statementNameGenerator`):
 * with a name, pg parses a statement once per connection and PostgreSQL skips parsing and planning
 * it on every later run — about a third of PostgreSQL's CPU per statement, measured on this
 * project's machines for the consumers' CTEs. Bounded: a name stays prepared on each connection of
 * the pool for its life, so past `max` distinct texts the others run unnamed, as before.
 */
export function statementNames(max = 200): (query: { sql: string }) => string {
  const names = new Map<string, string>();
  return ({ sql }) => {
    let name = names.get(sql);
    if (name === undefined && names.size < max) names.set(sql, (name = `passo_${names.size + 1}`));
    return name ?? ''; // '' is no name to pg: an unnamed statement
  };
}
