import type { Config } from 'jest';

const transform: Config['transform'] = { '^.+\\.ts$': ['@swc/jest', { swcrc: true }] };
const moduleNameMapper: Config['moduleNameMapper'] = {
  '^@passo/(contracts|outbox|platform)$': '<rootDir>/libs/$1/src',
  '^@passo/(contracts|outbox|platform)/(.*)$': '<rootDir>/libs/$1/src/$2',
  '^@passo/prisma/(order|inventory|payment|orchestrator)$': '<rootDir>/prisma/$1/generated/client',
};
const common = { transform, moduleNameMapper, testEnvironment: 'node', rootDir: '.' };

/**
 * unit: pure logic beside the code. integration/e2e: real PostgreSQL and NATS, brought up by the
 * global setup (embedded servers unless URLs are set), each test file on its own databases.
 */
const config: Config = {
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 60_000,
  maxWorkers: 2,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,scripts}/**/*.spec.ts'] },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/test/**/*.spec.ts'] },
  ],
};

export default config;
