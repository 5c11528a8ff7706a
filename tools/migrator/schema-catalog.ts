// A normalised, comparable description of a database's `public` schema, used to prove that the
// migrations build exactly what the Prisma schema describes (the engine's own drift check needs a
// shadow database, which is broken with adapter-pg 7.10).
import { Client } from 'pg';

export interface ColumnCatalog {
  type: string;
  nullable: boolean;
  default: string | null;
  identity: string | null;
  generated: string | null;
}

export interface TableCatalog {
  columns: Record<string, ColumnCatalog>;
  /** Index name → CREATE INDEX statement. */
  indexes: Record<string, string>;
  /** Constraint name → definition (primary, unique, foreign keys, checks, exclusions). */
  constraints: Record<string, string>;
}

export interface SchemaCatalog {
  tables: Record<string, TableCatalog>;
  /** Enum type → labels, sorted (Prisma appends new labels, so their order is not meaningful). */
  enums: Record<string, string[]>;
  /** Sequence name → "<type> owned by <table>.<column>" (or "owned by nothing"). */
  sequences: Record<string, string>;
}

// Prisma's bookkeeping table, present only where migrations ran.
const IGNORED_TABLE = '_prisma_migrations';

const COLUMNS = `
  SELECT c.relname AS table, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type,
         NOT a.attnotnull AS nullable, pg_get_expr(d.adbin, d.adrelid) AS default,
         NULLIF(a.attidentity, '') AS identity, NULLIF(a.attgenerated, '') AS generated
  FROM pg_attribute a
  JOIN pg_class c ON c.oid = a.attrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped`;

const INDEXES = `
  SELECT tablename AS table, indexname AS name, indexdef AS definition
  FROM pg_indexes WHERE schemaname = 'public'`;

// contype 'n' (PostgreSQL 18's NOT NULL constraints) is left out: columns carry nullability,
// and their generated names would report a renamed table as drift.
const CONSTRAINTS = `
  SELECT c.relname AS table, k.conname AS name, pg_get_constraintdef(k.oid) AS definition
  FROM pg_constraint k
  JOIN pg_class c ON c.oid = k.conrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = 'public' AND k.contype <> 'n'`;

const ENUMS = `
  SELECT t.typname AS name, e.enumlabel AS label
  FROM pg_type t
  JOIN pg_namespace n ON n.oid = t.typnamespace
  JOIN pg_enum e ON e.enumtypid = t.oid
  WHERE n.nspname = 'public'`;

const SEQUENCES = `
  SELECT s.sequencename AS name, s.data_type::text AS type,
         (SELECT dc.relname || '.' || a.attname FROM pg_depend dep
            JOIN pg_class dc ON dc.oid = dep.refobjid
            JOIN pg_attribute a ON a.attrelid = dep.refobjid AND a.attnum = dep.refobjsubid
          WHERE dep.objid = format('%I.%I', s.schemaname, s.sequencename)::regclass
            AND dep.classid = 'pg_class'::regclass AND dep.deptype IN ('a', 'i')) AS owner
  FROM pg_sequences s WHERE s.schemaname = 'public'`;

function sortKeys<V>(record: Record<string, V>): Record<string, V> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Reads the catalog of `url`'s `public` schema (without `_prisma_migrations`). */
export async function schemaCatalog(url: string): Promise<SchemaCatalog> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const query = async <R extends object>(sql: string) =>
      (await client.query<R>(sql)).rows.filter((r) => !('table' in r) || r.table !== IGNORED_TABLE);
    const tables: Record<string, TableCatalog> = {};
    const table = (name: string) => (tables[name] ??= { columns: {}, indexes: {}, constraints: {} });

    type ColumnRow = ColumnCatalog & { table: string; column: string };
    for (const { table: t, column, ...col } of await query<ColumnRow>(COLUMNS)) {
      table(t).columns[column] = col;
    }
    for (const r of await query<{ table: string; name: string; definition: string }>(INDEXES)) {
      table(r.table).indexes[r.name] = r.definition;
    }
    for (const r of await query<{ table: string; name: string; definition: string }>(CONSTRAINTS)) {
      table(r.table).constraints[r.name] = r.definition;
    }
    const enums: Record<string, string[]> = {};
    for (const r of await query<{ name: string; label: string }>(ENUMS)) {
      (enums[r.name] ??= []).push(r.label);
    }
    const sequences: Record<string, string> = {};
    for (const r of await query<{ name: string; type: string; owner: string | null }>(SEQUENCES)) {
      if (r.owner?.startsWith(`${IGNORED_TABLE}.`)) continue;
      sequences[r.name] = `${r.type} owned by ${r.owner ?? 'nothing'}`;
    }

    for (const [name, t] of Object.entries(tables)) {
      tables[name] = {
        columns: sortKeys(t.columns),
        indexes: sortKeys(t.indexes),
        constraints: sortKeys(t.constraints),
      };
    }
    const sortedEnums = Object.fromEntries(
      Object.entries(sortKeys(enums)).map(([name, labels]) => [name, [...labels].sort()]),
    );
    return { tables: sortKeys(tables), enums: sortedEnums, sequences: sortKeys(sequences) };
  } finally {
    await client.end();
  }
}
