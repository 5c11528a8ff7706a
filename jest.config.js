// @ts-check
/** @typedef {import('jest').Config} Config */

/** @type {Config['transform']} */
const transform = {
  '^.+\\.ts$': ['@swc/jest', { swcrc: true }],
  // NestJS 12 ships ES modules only; jest on Node 20 cannot require() them, so swc compiles them.
  '^.+\\.m?js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
};
/** ESM-only packages that unit tests load (everything else in node_modules stays as is). */
const transformIgnorePatterns = ['/node_modules/(?!(@nestjs|nestjs-pino)/)'];
/** @type {Config['moduleNameMapper']} */
const moduleNameMapper = {
  '^@passo/(contracts|outbox|platform)$': '<rootDir>/libs/$1/src',
  '^@passo/(contracts|outbox|platform)/(.*)$': '<rootDir>/libs/$1/src/$2',
  '^@passo/prisma/(order|inventory|payment|orchestrator)$': '<rootDir>/prisma/$1/generated/client',
};
const common = { transform, transformIgnorePatterns, moduleNameMapper, testEnvironment: 'node', rootDir: '.' };

/**
 * unit: pure logic beside the code. integration: real PostgreSQL and NATS, brought up by the
 * global setup (embedded servers unless configured), each test file on its own databases.
 * @type {Config}
 */
module.exports = {
  transform,
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 60_000,
  maxWorkers: 2,
  reporters: process.env.PASSO_JEST_JSON
    ? ['default', ['<rootDir>/test/support/json-results-reporter.js', { outputFile: process.env.PASSO_JEST_JSON }]]
    : ['default'],
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,scripts,tools,docs}/**/*.spec.ts'] },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/test/**/*.spec.ts'] },
  ],
};
