import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { APPS, appEntry } from '../../tools/system/apps';
import { DATABASES } from '../../tools/devstack/infra';
import { connect } from 'nats';
import { NATS_ADMIN } from '../../tools/devstack/nats-users';
import { ROOT } from '../../tools/devstack/paths';
import { freePort, isPortOpen, waitFor } from '../../tools/devstack/ports';
import { SERVICES } from '../../tools/services/services';

/** docker-compose.yml must describe the same system as `npm start`: apps, ports, variables. */
describe('docker-compose.yml', () => {
  const compose = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const natsConfig = readFileSync(join(ROOT, 'deploy', 'nats-server.conf'), 'utf8');

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

  it.each(SERVICES)('connects $app to NATS as its own user, its password from $natsPasswordEnv', (spec) => {
    const block = serviceBlock(spec.app);
    expect(block).toContain(`NATS_USER: ${spec.app}`);
    expect(block).toContain(`NATS_PASSWORD: \${${spec.natsPasswordEnv}:-`);
    // The same variable gives the server that user's password (deploy/nats-server.conf reads it).
    expect(serviceBlock('nats')).toContain(`${spec.natsPasswordEnv}: \${${spec.natsPasswordEnv}:-`);
    expect(natsConfig).toContain(`user: ${spec.app}, password: $${spec.natsPasswordEnv}`);
  });

  it('runs NATS with the committed users config, the operator included', () => {
    expect(serviceBlock('nats')).toContain('./deploy/nats-server.conf:/etc/nats/passo.conf:ro');
    expect(serviceBlock('nats')).toMatch(/'-c', '\/etc\/nats\/passo.conf'/);
    expect(serviceBlock('nats')).toContain(`${NATS_ADMIN.passwordEnv}: \${${NATS_ADMIN.passwordEnv}:-`);
    expect(natsConfig).toContain(`user: ${NATS_ADMIN.user}, password: $${NATS_ADMIN.passwordEnv}`);
  });

  it('runs on nats-server as docker-compose runs it: every password from the environment', async () => {
    const port = await freePort();
    const defaults = (block: string) =>
      Object.fromEntries(
        [...block.matchAll(/^ {6}(\w+): \$\{\w+:-([\w-]+)\}$/gm)].map(([, name, value]) => [name, value]),
      );
    const env = defaults(serviceBlock('nats'));
    expect(Object.keys(env).sort()).toEqual(
      [NATS_ADMIN.passwordEnv, ...SERVICES.map((spec) => spec.natsPasswordEnv)].sort(),
    );
    const args = ['-c', join(ROOT, 'deploy', 'nats-server.conf'), '-a', '127.0.0.1', '-p', String(port)];
    const server = spawn('nats-server', args, { env: { PATH: process.env.PATH, ...env }, stdio: 'ignore' });
    try {
      await waitFor('nats-server', () => isPortOpen(port), 10_000);
      const servers = `nats://127.0.0.1:${port}`;
      // Each app with the password its own block gives it, as the user its block names.
      for (const spec of SERVICES) {
        const pass = defaults(serviceBlock(spec.app)).NATS_PASSWORD;
        await (await connect({ servers, user: spec.app, pass })).close();
      }
      await (await connect({ servers, user: NATS_ADMIN.user, pass: env[NATS_ADMIN.passwordEnv] })).close();
      await expect(connect({ servers, maxReconnectAttempts: 0 })).rejects.toMatchObject({
        code: 'AUTHORIZATION_VIOLATION',
      });
    } finally {
      server.kill();
    }
  });

  it('starts each app from the entry point the build produces', () => {
    const entry = appEntry('order-service').replace(`${ROOT}/`, '').replaceAll('order-service', '${APP}');
    expect(dockerfile).toContain(entry);
  });
});
