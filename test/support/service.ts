import type { MessageContract } from '@passo/contracts';
import { ensureStreams, Topology } from '@passo/outbox';
import type { JetStreamManager } from 'nats';
import type { PassoSystem, ServiceApp } from '../../tools/system/passo-system';
import { type AppProcess, startApp } from './app-process';
import type { TestDatabase } from './databases';
import { natsConnection } from './nats';
import { testPassoSystem } from './passo-system';

export interface TestServiceOptions {
  /** More environment for the app (every instance of it). */
  env?: Record<string, string>;
  /** Streams that exist before the app starts: those of the messages the test publishes. */
  streams?: MessageContract[];
}

/**
 * One app alone — the tools' harness with one of its apps — on a database and stream prefix of its
 * own: a service test's set-up. start() makes the database and the streams, then starts the app;
 * stop() stops every instance, drops the database and deletes the prefix's streams.
 */
export class TestService {
  readonly prefix: string;
  readonly topology: Topology;
  /** The operator's view of the streams, once started. */
  jsm!: JetStreamManager;
  private readonly system: PassoSystem<TestDatabase>;
  private readonly replicas: AppProcess[] = [];

  constructor(
    readonly name: ServiceApp,
    private readonly options: TestServiceOptions = {},
  ) {
    this.system = testPassoSystem({ appEnv: { [name]: options.env ?? {} } });
    this.prefix = this.system.prefix;
    this.topology = new Topology({ prefix: this.prefix });
  }

  get app(): AppProcess {
    return this.system.apps[this.name];
  }
  /** The first instance, then each replica. */
  get apps(): AppProcess[] {
    return [this.app, ...this.replicas];
  }
  get db(): TestDatabase {
    return this.system.dbs[this.name];
  }

  async start(): Promise<this> {
    await this.system.createDatabase(this.name);
    this.jsm = await (await natsConnection()).jetstreamManager();
    if (this.options.streams) await ensureStreams(this.jsm, this.topology, this.options.streams);
    await this.system.boot(this.name);
    return this;
  }

  /** Another instance on the same database, streams and consumer groups. */
  async replica(): Promise<AppProcess> {
    const app = await startApp(this.name, this.system.appEnv(this.name));
    this.replicas.push(app);
    return app;
  }

  async stop(): Promise<void> {
    await Promise.all(this.replicas.map((app) => app.stop()));
    await this.system.stop(); // its streams with it (testPassoSystem)
  }
}
