import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { APPS, appEntry } from '../../scripts/lib/apps';
import { DATABASES } from '../../scripts/lib/infra';
import { ROOT } from '../../scripts/lib/paths';

/** docker-compose.yml must describe the same system as `npm start`: apps, ports, variables. */
describe('docker-compose.yml', () => {
  const compose = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

  function serviceBlock(name: string): string {
    const start = compose.indexOf(`\n  ${name}:\n`);
    expect(start).toBeGreaterThan(0);
    const next = compose.slice(start + 1).search(/\n {2}[\w-]+:\n|\n\S/);
    return compose.slice(start, next < 0 ? undefined : start + 1 + next);
  }

  it.each(APPS)('runs $name on port $port with its name and port', ({ name, port }) => {
    const block = serviceBlock(name);
    expect(block).toContain(`APP: ${name}`);
    expect(block).toContain(`PORT: '${port}'`);
    expect(block).toContain(`'${port}:${port}'`);
  });

  it.each(Object.entries(DATABASES))('gives every app %s pointing at database %s', (variable, database) => {
    expect(compose).toMatch(new RegExp(`${variable}: postgresql://postgres:passo@postgres:5432/${database}\\b`));
  });

  it('uses JetStream with a volume, and the embedded ports on the host', () => {
    expect(compose).toContain('NATS_URL: nats://nats:4222');
    expect(serviceBlock('nats')).toMatch(/-js/);
    expect(serviceBlock('nats')).toMatch(/nats-data:\/data/);
    expect(serviceBlock('postgres')).toContain("'54329:5432'");
    expect(serviceBlock('migrate')).toContain('scripts/db-migrate.ts');
  });

  it('starts each app from the entry point the build produces', () => {
    const entry = appEntry('order-service').replace(`${ROOT}/`, '').replaceAll('order-service', '${APP}');
    expect(dockerfile).toContain(entry);
  });
});
