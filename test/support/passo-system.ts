import { randomBytes } from 'node:crypto';
import type { ServiceName } from '../../tools/services/services';
import { PassoSystem, type PassoSystemOptions, type ServiceApp } from '../../tools/system/passo-system';
import { TEST_READY, testAppEnv } from './app-process';
import { testDatabase, testNatsUrl, type TestDatabase } from './databases';
import { deleteTestStreams } from './test-streams';

export interface TestServers {
  /** Makes one service's database (default: a copy of the shared server's template). */
  database?: (service: ServiceName) => Promise<TestDatabase>;
  natsUrl?: string;
}

export interface TestSystemOptions {
  /** More environment for every app… */
  env?: Record<string, string>;
  /** …and per app, over that (e.g. a short saga deadline for the orchestrator). */
  appEnv?: Partial<Record<ServiceApp, Record<string, string>>>;
  /** Servers other than the suite's shared ones (the outage tests stop theirs). */
  servers?: TestServers;
}

/**
 * The tools' harness (tools/system/passo-system.ts) as the tests run it: on the suite's servers
 * (or the test's own), each database a fresh copy of the template, a prefix of its own, the apps
 * quiet with every line kept for the test, started once they answer.
 */
export function testPassoSystem({ env = {}, appEnv = {}, servers = {} }: TestSystemOptions = {}) {
  return new TestPassoSystem(servers.natsUrl === undefined, {
    prefix: `t${randomBytes(4).toString('hex')}`,
    natsUrl: servers.natsUrl ?? testNatsUrl(),
    database: servers.database ?? testDatabase,
    env,
    appEnv: (app) => ({ ...testAppEnv(app), ...appEnv[app] }),
    spawn: () => ({ keepOutput: true }),
    ready: TEST_READY,
  });
}

/** Deletes its streams when it stops, on the suite's broker (a test's own broker is gone by then). */
class TestPassoSystem extends PassoSystem<TestDatabase> {
  constructor(
    private readonly onSuiteBroker: boolean,
    options: PassoSystemOptions<TestDatabase>,
  ) {
    super(options);
  }

  protected override async teardown(options: { signalled?: boolean }): Promise<void> {
    try {
      await super.teardown(options);
    } finally {
      if (this.onSuiteBroker) await deleteTestStreams(this.prefix);
    }
  }
}
