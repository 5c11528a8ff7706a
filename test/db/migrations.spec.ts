import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import {
  createMigration,
  migrate,
  MigrationError,
  PROJECT_ROOT,
  resolveService,
  SERVICES,
} from '../../tools/migrator/migrator';
import { MIGRATION_LOCK_KEY } from '../../tools/devstack/pg-admin';
import { testServerUrl } from '../support/databases';
import { eventually } from '../support/eventually';
import { scratchSpace } from '../support/scratch';

const scratch = scratchSpace('migr');
const serverUrl = testServerUrl;
const freshDatabase = scratch.database;
const schemaCopy = scratch.schemaCopy;

function addMigration(schemaDir: string, name: string, sql: string): void {
  mkdirSync(join(schemaDir, 'migrations', name));
  writeFileSync(join(schemaDir, 'migrations', name, 'migration.sql'), sql);
}

async function query<R extends object>(url: string, sql: string): Promise<R[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(sql)).rows;
  } finally {
    await client.end();
  }
}

const folderNames = (migrationsDir: string) =>
  readdirSync(migrationsDir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();

describe.each(SERVICES)('$name migrations', (spec) => {
  const migrationsDir = join(PROJECT_ROOT, spec.dir, 'migrations');

  it('apply to a fresh database like prisma migrate deploy, then a re-run is a no-op', async () => {
    const url = await freshDatabase(spec.name);
    const names = folderNames(migrationsDir);
    expect(names.length).toBeGreaterThan(0);

    expect(await migrate(spec, url)).toEqual(names);
    const rows = await query<{ migration_name: string; checksum: string; finished: boolean; rolled_back: boolean }>(
      url,
      `SELECT migration_name, checksum, finished_at IS NOT NULL AS finished, rolled_back_at IS NOT NULL AS rolled_back
       FROM _prisma_migrations ORDER BY migration_name`,
    );
    expect(rows).toEqual(
      names.map((name) => ({
        migration_name: name,
        checksum: createHash('sha256')
          .update(readFileSync(join(migrationsDir, name, 'migration.sql')))
          .digest('hex'),
        finished: true,
        rolled_back: false,
      })),
    );

    expect(await migrate(spec, url)).toEqual([]);
    expect(await query(url, 'SELECT 1 FROM _prisma_migrations')).toHaveLength(names.length);
  });
});

describe('migrate refuses a history it cannot trust', () => {
  const spec = resolveService('order');

  it('refuses an edited, already-applied migration, naming it and applying nothing else', async () => {
    const url = await freshDatabase('edited');
    const dir = schemaCopy(spec);
    const [first] = await migrate(spec, url, { schemaDir: dir });
    appendFileSync(join(dir, 'migrations', first, 'migration.sql'), '\n-- edited after it ran\n');
    addMigration(dir, '29990101000000_next', 'CREATE TABLE "next_table" (id INTEGER);\n');

    const refusal = migrate(spec, url, { schemaDir: dir });
    await expect(refusal).rejects.toThrow(MigrationError);
    await expect(refusal).rejects.toMatchObject({ code: 'EDITED_MIGRATIONS', migrations: [first] });
    await expect(refusal).rejects.toThrow(new RegExp(`edited after they ran: ${first}\\.`));
    expect(await query(url, `SELECT 1 FROM _prisma_migrations WHERE migration_name = '29990101000000_next'`)).toEqual(
      [],
    );
    expect(await query(url, `SELECT to_regclass('next_table') AS t`)).toEqual([{ t: null }]);
  });

  it('reports a failing migration by name, applies none of it, then refuses until it is repaired', async () => {
    const url = await freshDatabase('failed');
    const dir = schemaCopy(spec);
    addMigration(dir, '29990101000000_broken', 'CREATE TABLE "half" (id INTEGER);\nSELECT 1/0;\n');

    await expect(migrate(spec, url, { schemaDir: dir })).rejects.toMatchObject({
      code: 'RUN_FAILED',
      message: expect.stringMatching(/in migration 29990101000000_broken: .*division by zero/s),
    });
    // The whole script runs as one transaction (our executeScript), so nothing of it remains.
    expect(await query(url, `SELECT to_regclass('half') AS t`)).toEqual([{ t: null }]);
    await expect(migrate(spec, url, { schemaDir: dir })).rejects.toMatchObject({
      code: 'FAILED_MIGRATIONS',
      migrations: ['29990101000000_broken'],
    });
  });

  it('refuses a database that has migrations the folder does not', async () => {
    const url = await freshDatabase('unknown');
    const dir = schemaCopy(spec);
    addMigration(dir, '29990101000000_elsewhere', 'CREATE TABLE "elsewhere" (id INTEGER);\n');
    await migrate(spec, url, { schemaDir: dir });

    await expect(migrate(spec, url)).rejects.toMatchObject({
      code: 'UNKNOWN_MIGRATIONS',
      migrations: ['29990101000000_elsewhere'],
    });
  });
});

describe('concurrent runners', () => {
  it('take turns: both succeed and every migration is applied exactly once', async () => {
    const spec = resolveService('inventory');
    const url = await freshDatabase('concurrent');
    const dir = schemaCopy(spec);
    addMigration(dir, '29990101000000_second', 'CREATE TABLE "second" (id INTEGER);\n');
    addMigration(dir, '29990101000001_third', 'CREATE TABLE "third" (id INTEGER);\n');
    const names = folderNames(join(dir, 'migrations'));

    const [a, b] = await Promise.all([migrate(spec, url, { schemaDir: dir }), migrate(spec, url, { schemaDir: dir })]);
    expect([...a, ...b].sort()).toEqual(names);
    const counts = await query<{ migration_name: string; n: number }>(
      url,
      'SELECT migration_name, count(*)::int AS n FROM _prisma_migrations GROUP BY 1 ORDER BY 1',
    );
    expect(counts).toEqual(names.map((migration_name) => ({ migration_name, n: 1 })));
  });

  it('queue on our advisory lock before the engine starts (its own lock gives up after 10 s)', async () => {
    const spec = resolveService('payment');
    const url = await freshDatabase('locked');
    const holder = new Client({ connectionString: url });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
      let settled = false;
      const run = migrate(spec, url).finally(() => (settled = true));
      // Queued, not merely slow to start: a session of this database waits for an advisory lock.
      const waiting = `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_database d ON d.oid = l.database
        WHERE l.locktype = 'advisory' AND NOT l.granted AND d.datname = current_database()`;
      await eventually(async () => (await holder.query<{ n: number }>(waiting)).rows[0].n === 1);
      expect(settled).toBe(false);
      expect(await query(url, `SELECT to_regclass('_prisma_migrations') AS t`)).toEqual([{ t: null }]);
      await holder.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]);
      expect(await run).toEqual(folderNames(join(PROJECT_ROOT, spec.dir, 'migrations')));
    } finally {
      await holder.end();
    }
  });
});

describe('createMigration (npm run db:diff)', () => {
  const spec = resolveService('order-service');

  it('writes the SQL for a schema change as a new migration, and nothing when there is none', async () => {
    const dir = schemaCopy(spec);
    const before = folderNames(join(dir, 'migrations'));
    const lockfile = readFileSync(join(dir, 'migrations', 'migration_lock.toml'), 'utf8');

    expect(await createMigration(spec, 'nothing', { scratchUrl: serverUrl(), schemaDir: dir })).toBeNull();
    expect(folderNames(join(dir, 'migrations'))).toEqual(before);

    const schema = join(dir, 'schema.prisma');
    const changed = readFileSync(schema, 'utf8').replace(
      '  requestHash        String?',
      '  notes              String?             @map("order_notes")\n  requestHash        String?',
    );
    writeFileSync(schema, changed);
    const now = new Date('2999-01-02T03:04:05Z');
    const file = await createMigration(spec, 'Add order-notes', { scratchUrl: serverUrl(), schemaDir: dir, now });

    expect(file).toBe(join(dir, 'migrations', '29990102030405_add_order_notes', 'migration.sql'));
    const sql = readFileSync(file!, 'utf8');
    expect(sql).toContain('ALTER TABLE "orders" ADD COLUMN     "order_notes" TEXT;');
    expect(sql).not.toContain('CREATE TABLE');
    expect(readFileSync(join(dir, 'migrations', 'migration_lock.toml'), 'utf8')).toBe(lockfile);

    // The new migration applies on top of the others, and then the schema has nothing left to diff.
    const url = await freshDatabase('created');
    expect(await migrate(spec, url, { schemaDir: dir })).toEqual([...before, '29990102030405_add_order_notes']);
    expect(await createMigration(spec, 'again', { scratchUrl: serverUrl(), schemaDir: dir })).toBeNull();
    expect(folderNames(join(dir, 'migrations'))).toHaveLength(before.length + 1);
  });

  it('rejects names that are not lower_snake_case after normalising', async () => {
    await expect(createMigration(spec, 'drop; table', { scratchUrl: serverUrl() })).rejects.toThrow(
      /invalid migration name "drop; table"/,
    );
  });
});

describe('resolveService', () => {
  it('accepts service and app names and lists the valid ones otherwise', () => {
    expect(resolveService('order').database).toBe('passo_order');
    expect(resolveService('apps/payment-service').urlEnv).toBe('PAYMENT_DATABASE_URL');
    expect(resolveService('saga-orchestrator').name).toBe('orchestrator');
    expect(() => resolveService('billing')).toThrow(/unknown service "billing" \(valid: order, inventory/);
  });
});
