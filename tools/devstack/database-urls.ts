// Where a tool finds a service's database: its *_DATABASE_URL, else the git-ignored .env that
// `npm run infra` writes, else the embedded default (the same servers `npm start` brings up).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './paths';
import { embeddedPgUrl } from './postgres';
import type { ServiceSpec } from '../services/services';

/** KEY=value lines of a .env file (comments and blank lines skipped, no interpolation). */
export function readDotEnv(file = join(ROOT, '.env')): Record<string, string> {
  if (!existsSync(file)) return {};
  const values: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (match && !line.trimStart().startsWith('#')) values[match[1]] = match[2].replace(/^(['"])(.*)\1$/, '$2');
  }
  return values;
}

export function serviceDatabaseUrl(
  spec: ServiceSpec,
  env: NodeJS.ProcessEnv = process.env,
  dotEnv: Record<string, string> = readDotEnv(),
): string {
  return env[spec.urlEnv] || dotEnv[spec.urlEnv] || embeddedPgUrl(spec.database);
}
