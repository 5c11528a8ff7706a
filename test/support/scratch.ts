import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT, type ServiceSpec } from '../../tools/migrator/migrator';
import { dropDatabase, ensureDatabase, withDatabase } from '../../tools/devstack/pg-admin';
import { testServerUrl } from './databases';

/**
 * Empty databases and editable copies of a schema folder, removed after each test. Call at the
 * top of a describe (it registers the afterEach).
 */
export function scratchSpace(tag: string) {
  const databases: string[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const url of databases.splice(0)) await dropDatabase(url);
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return {
    /** A new empty database. */
    async database(label: string): Promise<string> {
      const url = withDatabase(testServerUrl(), `passo_t_${tag}_${label}_${randomBytes(4).toString('hex')}`);
      await ensureDatabase(url);
      databases.push(url);
      return url;
    },
    /** A copy of the service's schema folder (with its migrations) a test may edit freely. */
    schemaCopy(spec: ServiceSpec): string {
      const dir = mkdtempSync(join(tmpdir(), `passo-${tag}-${spec.name}-`));
      dirs.push(dir);
      const source = join(PROJECT_ROOT, spec.dir);
      cpSync(source, dir, { recursive: true, dereference: true, filter: (p) => !p.includes('/generated') });
      return dir;
    },
  };
}
