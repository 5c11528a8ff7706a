import type { InfraUrls } from '../devstack/infra';
import { migrateAll, SERVICES, type ServiceName } from './migrator';

/** Creates missing databases and applies pending migrations for the URLs infra resolved. */
export async function migrateUrls(urls: InfraUrls, log: (line: string) => void): Promise<void> {
  const byService = Object.fromEntries(SERVICES.map((spec) => [spec.name, urls[spec.urlEnv]])) as Record<
    ServiceName,
    string
  >;
  await migrateAll(byService, { log });
}
