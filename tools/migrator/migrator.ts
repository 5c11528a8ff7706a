// Applies and creates each service's Prisma migrations with the offline WebAssembly schema
// engine; what `prisma migrate deploy` and `prisma migrate dev --create-only` would do.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { SchemaFilter } from '@prisma/schema-engine-wasm/schema_engine_bg';
import {
  LOCKFILE_CONTENT,
  LOCKFILE_NAME,
  MigrationsFolderError,
  migrationNames,
  migrationTimestamp,
  normaliseMigrationName,
  readDatamodels,
  readMigrationsList,
} from './migrations-folder';
import { ensureDatabase, redact, withMigrationLock, withScratchDatabase } from '../devstack/pg-admin';
import { type EngineLog, SchemaEnginePanic, withSchemaEngine } from './schema-engine';
import {
  MigrationError,
  PROJECT_ROOT,
  resolveService,
  SERVICES,
  type ServiceName,
  type ServiceSpec,
} from '../services/services';

export { ensureDatabase } from '../devstack/pg-admin';
export { schemaCatalog, type SchemaCatalog } from './schema-catalog';
export { MigrationsFolderError, normaliseMigrationName, readDatamodels } from './migrations-folder';
export * from '../services/services';

export interface FolderOptions {
  /** Schema folder (all its *.prisma files); default: the service's folder under the project. */
  schemaDir?: string;
  /** Default: `<schemaDir>/migrations`. */
  migrationsDir?: string;
  /** Progress lines (one per service); default silent. */
  log?: (line: string) => void;
  engineLog?: EngineLog;
}

const FILTERS: SchemaFilter = { externalTables: [], externalEnums: [] };

function folders(service: ServiceSpec, options: FolderOptions) {
  const schemaDir = resolve(options.schemaDir ?? join(PROJECT_ROOT, service.dir));
  return { schemaDir, migrationsDir: resolve(options.migrationsDir ?? join(schemaDir, 'migrations')) };
}

const list = (names: readonly string[]) => names.join(', ');

/** Keeps our own errors; anything else (engine, connection) gets the service and action named. */
function wrapError(service: ServiceSpec, action: string, error: unknown): Error {
  const ours = [MigrationError, MigrationsFolderError, SchemaEnginePanic];
  if (ours.some((type) => error instanceof type)) return error as Error;
  // Engine errors come from Node's realm (not jest's), so no `instanceof Error` here.
  const text =
    typeof error === 'object' && error !== null && 'message' in error ? String(error.message) : String(error);
  // The engine appends a Rust span trace ("   0: sql_schema_connector::…"); keep its gist.
  const [gist = text] = text.split(/\n\s+0: /);
  const migration = /migration_name="([^"]+)"/.exec(text)?.[1];
  const where = migration ? ` in migration ${migration}` : '';
  return new MigrationError(
    'RUN_FAILED',
    `${service.name}: ${action} failed${where}: ${gist.trim()}`,
    service.name,
    migration ? [migration] : [],
    error,
  );
}

/**
 * Applies the service's pending migrations to `url` (like `prisma migrate deploy`) and returns
 * their names ([] when up to date). Refuses, applying nothing, when an applied migration was
 * edited, a migration failed, or the database has migrations the folder does not.
 */
export async function migrate(
  service: ServiceName | ServiceSpec,
  url: string,
  options: FolderOptions = {},
): Promise<string[]> {
  const spec = typeof service === 'string' ? resolveService(service) : service;
  const { schemaDir, migrationsDir } = folders(spec, options);
  const migrationsList = readMigrationsList(migrationsDir);
  if (migrationsList.migrationDirectories.length === 0) {
    throw new MigrationError(
      'NO_MIGRATIONS',
      `${spec.name}: no migrations in ${migrationsDir} (create one with: npm run db:diff -- ${spec.name} init)`,
      spec.name,
    );
  }
  const datamodels = readDatamodels(schemaDir);
  // The engine's own lock gives up after 10 s, so runners queue on ours first.
  const applied = await withMigrationLock(url, () =>
    withSchemaEngine(
      url,
      datamodels,
      async (engine) => {
        const d = await engine.diagnoseMigrationHistory({
          migrationsList,
          optInToShadowDatabase: false,
          filters: FILTERS,
        });
        const where = `${spec.name} database ${redact(url)}`;
        if (d.editedMigrationNames.length > 0) {
          throw new MigrationError(
            'EDITED_MIGRATIONS',
            `${where}: refusing to migrate: applied migration(s) were edited after they ran: ${list(d.editedMigrationNames)}. Restore the file(s) and put the change in a new migration (npm run db:diff -- ${spec.name} <name>).`,
            spec.name,
            d.editedMigrationNames,
          );
        }
        if (d.failedMigrationNames.length > 0) {
          throw new MigrationError(
            'FAILED_MIGRATIONS',
            `${where}: refusing to migrate: migration(s) failed earlier and need repair: ${list(d.failedMigrationNames)}. A migration runs as one transaction, so none of it was applied: fix it, then run UPDATE _prisma_migrations SET rolled_back_at = now() WHERE finished_at IS NULL AND rolled_back_at IS NULL; and migrate again.`,
            spec.name,
            d.failedMigrationNames,
          );
        }
        const h = d.history;
        const unknown = h && h.diagnostic !== 'databaseIsBehind' ? h.unpersistedMigrationNames : [];
        if (unknown.length > 0) {
          throw new MigrationError(
            'UNKNOWN_MIGRATIONS',
            `${where}: refusing to migrate: the database has migration(s) that are not in ${migrationsDir}: ${list(unknown)}.`,
            spec.name,
            unknown,
          );
        }
        const out = await engine.applyMigrations({ migrationsList, filters: FILTERS });
        return out.appliedMigrationNames;
      },
      options.engineLog,
    ),
  ).catch((error: unknown) => {
    throw wrapError(spec, `migrating ${redact(url)}`, error);
  });
  options.log?.(`migrate: ${spec.name} — ${applied.length ? `applied ${list(applied)}` : 'up to date'}`);
  return applied;
}

/** Creates (when missing) and migrates every service's database, one after the other. */
export async function migrateAll(
  urls: Record<ServiceName, string>,
  options: Pick<FolderOptions, 'log' | 'engineLog'> = {},
): Promise<Record<ServiceName, string[]>> {
  const applied: Partial<Record<ServiceName, string[]>> = {};
  for (const spec of SERVICES) {
    const url = urls[spec.name];
    if (!url) throw new MigrationError('MISSING_URL', `no database URL for ${spec.name} (${spec.urlEnv})`, spec.name);
    await ensureDatabase(url).catch((error: unknown) => {
      throw wrapError(spec, `creating its database (${redact(url)})`, error);
    });
    applied[spec.name] = await migrate(spec, url, options);
  }
  return applied as Record<ServiceName, string[]>;
}

export interface CreateMigrationOptions extends FolderOptions {
  /** Any database URL on a server where we may create (and drop) a scratch database. */
  scratchUrl: string;
  /** Clock for the folder's timestamp (tests). */
  now?: Date;
}

/**
 * Like `prisma migrate dev --create-only`: writes the SQL that takes the existing migrations to
 * the current schema as a new migration folder and returns its migration.sql path, or null when
 * nothing changed. Replays the migrations in a scratch database instead of Prisma's shadow
 * database, which is broken with adapter-pg 7.10.
 */
export async function createMigration(
  service: ServiceName | ServiceSpec,
  name: string,
  options: CreateMigrationOptions,
): Promise<string | null> {
  const spec = typeof service === 'string' ? resolveService(service) : service;
  const migrationName = normaliseMigrationName(name);
  const { schemaDir, migrationsDir } = folders(spec, options);
  const files = readDatamodels(schemaDir);
  const migrationsList = readMigrationsList(migrationsDir);

  const script = await withScratchDatabase(options.scratchUrl, `passo_scratch_${spec.name}`, (url) =>
    withSchemaEngine(
      url,
      files,
      async (engine) => {
        await engine.applyMigrations({ migrationsList, filters: FILTERS });
        const diff = await engine.diff({
          from: { tag: 'schemaDatasource', files, configDir: schemaDir },
          to: { tag: 'schemaDatamodel', files },
          script: true,
          exitCode: true,
          filters: FILTERS,
        });
        // exitCode 2 means "the diff is not empty" (the --exit-code convention).
        return diff.exitCode === 2 ? (diff.stdout ?? '') : null;
      },
      options.engineLog,
    ),
  ).catch((error: unknown) => {
    throw wrapError(spec, 'computing the migration', error);
  });

  if (script === null) {
    options.log?.(`db:diff: ${spec.name} — no changes`);
    return null;
  }
  const folder = `${migrationTimestamp(options.now ?? new Date())}_${migrationName}`;
  const last = migrationNames(migrationsDir).at(-1);
  if (last !== undefined && folder <= last) {
    throw new MigrationError(
      'OUT_OF_ORDER',
      `${spec.name}: new migration ${folder} would not sort after the latest one, ${last} (check the clock)`,
      spec.name,
    );
  }
  mkdirSync(join(migrationsDir, folder), { recursive: true });
  const file = join(migrationsDir, folder, 'migration.sql');
  writeFileSync(file, script.endsWith('\n') ? script : `${script}\n`);
  const lockfile = join(migrationsDir, LOCKFILE_NAME);
  if (!existsSync(lockfile)) writeFileSync(lockfile, LOCKFILE_CONTENT);
  options.log?.(`db:diff: ${spec.name} — created ${file}`);
  return file;
}
