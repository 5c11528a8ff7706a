/**
 * `npm run db:diff -- <service> <name>` — like `prisma migrate dev --create-only`: writes the SQL
 * that takes the service's existing migrations to its current Prisma schema as
 * prisma/<service>/migrations/<timestamp>_<name>/migration.sql (nothing when there is no change).
 * Needs a PostgreSQL server for a scratch database: PASSO_SCRATCH_DATABASE_URL, or else the
 * service's own <SERVICE>_DATABASE_URL (only its server is used; that database is not touched),
 * or else the embedded PostgreSQL (started for the run when it is not running).
 */
import { ensureInfra } from '../tools/devstack/infra';
import {
  createMigration,
  MigrationError,
  MigrationsFolderError,
  resolveService,
  SERVICES,
} from '../tools/migrator/migrator';
import { lastEnginePanic } from '../tools/migrator/schema-engine';

const USAGE = [
  'usage: npm run db:diff -- <service> <migration name>',
  `  service: ${SERVICES.map((s) => s.name).join(' | ')} (or the app name, e.g. order-service)`,
  '  name:    letters, digits, spaces, "-" or "_", e.g. "add order notes"',
  "  server:  PASSO_SCRATCH_DATABASE_URL, the service's *_DATABASE_URL or the embedded PostgreSQL (a scratch database is created and dropped)",
].join('\n');

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  const [serviceArg, ...nameParts] = argv;
  if (!serviceArg || nameParts.length === 0 || serviceArg === '--help' || serviceArg === '-h') {
    throw new MigrationError('USAGE', USAGE);
  }
  const spec = resolveService(serviceArg);
  const log = (line: string) => console.log(line);
  const scratchUrl = env.PASSO_SCRATCH_DATABASE_URL || env[spec.urlEnv];
  if (scratchUrl) return createMigration(spec, nameParts.join(' '), { scratchUrl, log });
  const infra = await ensureInfra(log, { nats: false });
  try {
    return await createMigration(spec, nameParts.join(' '), {
      scratchUrl: infra.urls[spec.urlEnv],
      log,
    });
  } finally {
    await infra.stop();
  }
}

if (require.main === module) {
  const fail = (error: unknown): never => {
    const message = lastEnginePanic()?.message ?? (error instanceof Error ? error.message : String(error));
    const badArguments =
      (error instanceof MigrationError && ['UNKNOWN_SERVICE', 'MISSING_URL'].includes(error.code)) ||
      (error instanceof MigrationsFolderError && message.startsWith('invalid migration name'));
    if (error instanceof MigrationError && error.code === 'USAGE') console.error(USAGE);
    else console.error(`[db:diff] ${message}${badArguments ? `\n\n${USAGE}` : ''}`);
    process.exit(error instanceof MigrationError && error.code === 'USAGE' ? 2 : 1);
  };
  // A panic inside the engine surfaces as an uncaught wasm trap, not as a rejection.
  process.on('uncaughtException', fail);
  main(process.argv.slice(2)).catch(fail);
}
