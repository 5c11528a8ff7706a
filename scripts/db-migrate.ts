/**
 * `npm run db:migrate` — creates the four service databases when missing and applies their
 * pending migrations (prisma/<service>/migrations), like `prisma migrate deploy`, offline.
 * Uses ORDER_DATABASE_URL, INVENTORY_DATABASE_URL, PAYMENT_DATABASE_URL, ORCHESTRATOR_DATABASE_URL;
 * with none set, the embedded PostgreSQL (started for the run and stopped after, unless it was
 * already running).
 */
import { ensureInfra } from '../tools/devstack/infra';
import { lastEnginePanic } from '../tools/migrator/schema-engine';
import { migrateAll, MigrationError, SERVICES, type ServiceName } from '../tools/migrator/migrator';

const log = (line: string) => console.log(line);

/** Migrates every service's database; resolves to the names applied per service. */
export async function main(urls: Record<ServiceName, string>): Promise<Record<ServiceName, string[]>> {
  return migrateAll(urls, { log });
}

/** The four URLs from the environment; throws naming the variables that are not set. */
export function urlsFromEnv(env: NodeJS.ProcessEnv = process.env): Record<ServiceName, string> {
  const missing = SERVICES.filter((s) => !env[s.urlEnv]).map((s) => s.urlEnv);
  if (missing.length > 0) {
    throw new MigrationError('MISSING_URL', `set ${missing.join(', ')} (all four *_DATABASE_URL variables are needed)`);
  }
  return Object.fromEntries(SERVICES.map((s) => [s.name, env[s.urlEnv] as string])) as Record<ServiceName, string>;
}

function fail(error: unknown): never {
  const message = lastEnginePanic()?.message ?? (error instanceof Error ? error.message : String(error));
  console.error(`[db:migrate] ${message}`);
  process.exit(1);
}

if (require.main === module) {
  // A panic inside the engine surfaces as an uncaught wasm trap, not as a rejection.
  process.on('uncaughtException', fail);
  const configured = SERVICES.some((s) => process.env[s.urlEnv]);
  Promise.resolve()
    .then(async () => {
      if (configured) return void (await main(urlsFromEnv()));
      const infra = await ensureInfra(log, { nats: false });
      try {
        await main(urlsFromEnv(infra.urls));
      } finally {
        await infra.stop();
      }
    })
    .catch(fail);
}
