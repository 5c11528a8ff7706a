// The migrations must build exactly what each Prisma schema describes. Prisma's own check
// (`migrate diff --from-migrations`) needs a shadow database, which is broken with adapter-pg
// 7.10, so we compare catalogs: database A from the migrations, database B from the schema.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import {
  migrate,
  PROJECT_ROOT,
  readDatamodels,
  schemaCatalog,
  SERVICES,
  type ServiceSpec,
} from '../../tools/migrator/migrator';
import { scratchSpace } from '../support/scratch';
import { withSchemaEngine } from '../../tools/migrator/schema-engine';

const scratch = scratchSpace('drift');
const freshDatabase = scratch.database;

/** Database B: the engine's `diff` from nothing to the schema, run as a script. */
async function databaseFromSchema(label: string, schemaDir: string): Promise<string> {
  const url = await freshDatabase(`${label}_schema`);
  const files = readDatamodels(schemaDir);
  const diff = await withSchemaEngine(url, files, (engine) =>
    engine.diff({
      from: { tag: 'empty' },
      to: { tag: 'schemaDatamodel', files },
      script: true,
      exitCode: null,
      filters: { externalTables: [], externalEnums: [] },
    }),
  );
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(diff.stdout ?? '');
  } finally {
    await client.end();
  }
  return url;
}

/** Database A: the service's migrations. */
async function databaseFromMigrations(spec: ServiceSpec): Promise<string> {
  const url = await freshDatabase(`${spec.name}_migrations`);
  await migrate(spec, url);
  return url;
}

describe.each(SERVICES)('$name schema', (spec) => {
  it('is exactly what its migrations build (run `npm run db:diff -- <service> <name>` if not)', async () => {
    const fromMigrations = await schemaCatalog(await databaseFromMigrations(spec));
    const fromSchema = await schemaCatalog(await databaseFromSchema(spec.name, join(PROJECT_ROOT, spec.dir)));

    expect(Object.keys(fromSchema.tables)).toEqual(expect.arrayContaining(['outbox_messages', 'inbox_messages']));
    expect(fromMigrations.tables).not.toHaveProperty('_prisma_migrations');
    expect(fromMigrations).toEqual(fromSchema);
  });
});

// Proves the comparison is sensitive: each edit to a copy of the schema (migrations untouched)
// must show up as drift.
describe('drift detection', () => {
  const spec = SERVICES.find((s) => s.name === 'order')!;
  const edits: [string, string, string][] = [
    ['a new column', '  requestHash        String?', '  notes String?\n  requestHash        String?'],
    ['a nullability change', 'customerId         String ', 'customerId         String? '],
    ['a default change', '@default(PENDING)', '@default(CONFIRMED)'],
    ['a new enum label', '  TIMEOUT\n', '  TIMEOUT\n  EXPIRED\n'],
    ['a new index', '  @@index([createdAt])\n', '  @@index([createdAt])\n  @@index([customerId])\n'],
    ['a changed foreign key', 'onDelete: Cascade', 'onDelete: Restrict'],
    ['a column type change', '  position   Int\n', '  position   BigInt\n'],
  ];

  it.each(edits)('notices %s', async (_what, from, to) => {
    const dir = scratch.schemaCopy(spec);
    const schemaFile = join(dir, 'schema.prisma');
    const schema = readFileSync(schemaFile, 'utf8');
    expect(schema).toContain(from);
    writeFileSync(schemaFile, schema.replace(from, to));

    const fromMigrations = await schemaCatalog(await databaseFromMigrations(spec));
    const fromSchema = await schemaCatalog(await databaseFromSchema('edited', dir));
    expect(fromMigrations).not.toEqual(fromSchema);
  });
});
