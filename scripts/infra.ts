/**
 * `npm run infra` — brings up (or reuses) the embedded PostgreSQL and NATS, migrates the four
 * databases and writes their URLs to .env, then exits leaving the servers running, so each app can
 * be started on its own (`npx nest start order-service`).
 * `npm run infra -- stop` stops them.
 */
import { ensureInfra, stopEmbedded, writeDotEnv } from '../tools/devstack/infra';
import { migrateUrls } from '../tools/migrator/migrate-urls';

const log = (line: string) => console.log(`[infra] ${line}`);

async function up(): Promise<void> {
  const infra = await ensureInfra(log);
  await migrateUrls(infra.urls, log);
  const file = writeDotEnv(infra);
  log(`URLs written to ${file}:`);
  for (const [key, value] of Object.entries(infra.urls)) log(`  ${key}=${value}`);
  log(`NATS users (passwords in ${file}): ${Object.keys(infra.natsEnv).join(', ')}`);
  log('Start an app with: npx nest start order-service   (stop the servers with: npm run infra -- stop)');
}

const command = process.argv[2] ?? 'up';
const commands: Record<string, () => Promise<void>> = { up, stop: () => stopEmbedded(log) };
const run = commands[command];
if (!run) {
  console.error(`usage: npm run infra [-- up|stop]   (unknown command: ${command})`);
  process.exit(2);
}
run().catch((error: Error) => {
  console.error(`[infra] ${error.message}`);
  process.exit(1);
});
