import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect, type NatsConnection } from 'nats';
import { Client } from 'pg';
import { natsConnectOptions } from '../../libs/outbox/src/nats/nats-connect';
import type { Infra } from '../devstack/infra';
import { databaseName, dropDatabase, ensureDatabase, withDatabase } from '../devstack/pg-admin';
import { freePort } from '../devstack/ports';
import { migrate, SERVICES, type ServiceName } from '../migrator/migrator';
import { APPS, appEntry, isHealthy } from './apps';
import type { RunningApp, SpawnOptions } from './app-processes';
import { PassoSystem, type ServiceApp } from './passo-system';
import { deleteStreamsOf, streamsOf } from './streams';
import { type ChildSpec, Supervisor } from './supervisor';
import { openDatabase, type SystemDatabase } from './system-database';

/** What the counters said at one moment: the measurements are differences of two of these. */
export interface Snapshot {
  at: number;
  /** pg_stat_database.xact_commit summed over the run's four databases. */
  commits: number;
  /** Statements this script ran on those databases (each one commit), to take out of `commits`. */
  ownQueries: number;
  /** Messages stored in the run's JetStream streams. */
  messages: number;
}

export interface SystemOptions {
  /** Names the run's databases (`passo_<name>_<service>_<tag>`) and streams (`<name[0..3]>…`). */
  name?: string;
  /** The apps' LOG_LEVEL: compare keeps them quiet, the bench runs them as `npm start` does. */
  logLevel?: string;
  /** Per app: extra node flags and where its output goes (default: this process's stderr). */
  spawn?: (app: RunningApp['name']) => SpawnOptions;
  /** More environment for every app (the lab: PASSO_LAB=on). */
  env?: Record<string, string>;
}

/**
 * The harness (passo-system.ts) as compare, bench and the demo run it: on the servers of `npm
 * start` (or those configured), on databases and streams of the run's own (dropped and deleted at
 * the end), so a run measures nothing but itself, next to whatever else uses the same servers;
 * with the counters a run is measured by.
 */
export class CompareSystem extends PassoSystem {
  private readonly counted: { queries: number };
  private readonly supervised = new Map<ServiceApp, string>();
  private supervisor?: Supervisor;
  private closeLogs?: () => Promise<void>;
  private admin?: Client;
  private nats?: NatsConnection;

  constructor(
    private readonly infra: Infra,
    private readonly log: (line: string) => void,
    options: SystemOptions = {},
  ) {
    const short = options.name === undefined ? 'cmp' : options.name.slice(0, 3);
    const counted = { queries: 0 };
    super({
      prefix: `${short}${randomBytes(4).toString('hex')}`,
      natsUrl: infra.urls.NATS_URL,
      database: runDatabase(infra, options.name ?? 'compare', randomBytes(3).toString('hex'), counted, log),
      env: {
        ...infra.natsEnv, // each app picks its own user (<APP>_NATS_USER/PASSWORD)
        LOG_LEVEL: options.logLevel ?? 'warn',
        ...options.env,
      },
      spawn: options.spawn,
      print: (line) => process.stderr.write(`${line}\n`),
    });
    this.counted = counted;
  }

  /** Fresh, migrated databases for the four services; connections to read the server's counters and the broker. */
  override async createDatabases(): Promise<void> {
    await super.createDatabases();
    const server = this.infra.adminUrl ?? this.infra.urls.ORDER_DATABASE_URL;
    this.admin = await connected(withDatabase(server, 'postgres'));
    this.nats = await connect(natsConnectOptions(this.infra.urls.NATS_URL, 'passo-compare', this.infra.natsAdmin));
  }

  /**
   * The four apps under the Supervisor `npm start` uses (tools/system/supervisor.ts): an app that
   * dies (the lab's crash fault) is restarted on its port, with the events to report it. Each
   * app's lines go to `logFile(app)`. Resolves when all are healthy.
   */
  async startSupervised(logFile: (app: RunningApp['name']) => string): Promise<Supervisor> {
    const specs: ChildSpec[] = [];
    for (const { name } of APPS) {
      const port = await freePort();
      this.supervised.set(name, `http://127.0.0.1:${port}`);
      const env = { PATH: process.env.PATH ?? '', ...this.appEnv(name), PORT: String(port) };
      specs.push({
        name,
        command: process.execPath,
        args: [appEntry(name)],
        env,
        cwd: tmpdir(),
        health: () => isHealthy(port),
      });
    }
    const files = new Map(APPS.map(({ name }) => [name, createWriteStream(logFile(name), { flags: 'a' })]));
    this.guard();
    const supervisor = (this.supervisor = new Supervisor(specs, {
      log: (line) => this.log(line),
      print: (line) => {
        const name = line.match(/^\[([a-z-]+)\]/)?.[1] as RunningApp['name'] | undefined;
        files.get(name ?? 'order-service')?.write(`${line}\n`);
      },
      colours: false,
    }));
    supervisor.start();
    this.closeLogs = () =>
      Promise.all([...files.values()].map((f) => new Promise((done) => f.end(done)))).then(() => undefined);
    await Promise.all(APPS.map(({ name }) => supervisor.waitHealthy(name, 60_000)));
    return supervisor;
  }

  override url(app: ServiceApp): string {
    return this.supervised.get(app) ?? super.url(app);
  }

  async snapshot(): Promise<Snapshot> {
    const names = Object.values(this.dbs).map((db) => databaseName(db.url));
    const { rows } = await this.admin!.query<{ commits: string }>(
      'SELECT coalesce(sum(xact_commit), 0)::text AS commits FROM pg_stat_database WHERE datname = ANY($1::text[])',
      [names],
    );
    let messages = 0;
    for (const stream of await streamsOf(await this.nats!.jetstreamManager(), this.prefix)) {
      messages += stream.state.messages;
    }
    return { at: Date.now(), commits: Number(rows[0].commits), ownQueries: this.counted.queries, messages };
  }

  /**
   * Messages still on their way, anywhere: rows no relay has published yet (parked ones aside)
   * and deliveries no consumer has acknowledged (a nak'd one waits among them). 0: nothing left
   * can move a saga on.
   */
  async inFlight(): Promise<number> {
    const db = this.databases();
    let count = 0;
    for (const query of [db.order, db.inventory, db.payment, db.orchestrator!]) {
      const [row] = await query<{ n: number }>(
        'SELECT count(*)::int AS n FROM outbox_messages WHERE published_at IS NULL AND parked_at IS NULL',
      );
      count += row.n;
    }
    const jsm = await this.nats!.jetstreamManager();
    for (const stream of await streamsOf(jsm, this.prefix)) {
      for await (const consumer of jsm.consumers.list(stream.config.name)) {
        count += consumer.num_pending + consumer.num_ack_pending;
      }
    }
    return count;
  }

  protected override async teardown({ signalled = false }: { signalled?: boolean }): Promise<void> {
    await this.stopApps({ signalled });
    await this.supervisor?.stop();
    await this.closeLogs?.();
    await this.admin?.end().catch(() => undefined);
    this.admin = undefined;
    // Each step on its own: NATS being down must not keep the databases from being dropped.
    await this.deleteStreams().catch((e: Error) => this.log(`deleting the run's streams: ${e.message}`));
    await this.dropDatabases().catch((e: Error) => this.log(`drop: ${e.message}`));
  }

  private async deleteStreams(): Promise<void> {
    const nats = this.nats;
    this.nats = undefined;
    if (!nats) return;
    await deleteStreamsOf(await nats.jetstreamManager(), this.prefix);
    await nats.drain();
  }
}

/**
 * The run's database of a service (`passo_<name>_<service>_<tag>`), created and migrated on the
 * run's server; read through one connection, each statement counted (Snapshot.ownQueries). A
 * failure half-way drops what it created.
 */
function runDatabase(
  infra: Infra,
  name: string,
  tag: string,
  counted: { queries: number },
  log: (line: string) => void,
): (service: ServiceName) => Promise<SystemDatabase> {
  const server = infra.adminUrl ?? infra.urls.ORDER_DATABASE_URL;
  return async (service) => {
    const url = withDatabase(server, `passo_${name}_${service}_${tag}`);
    try {
      await ensureDatabase(url);
      await migrate(
        SERVICES.find((s) => s.name === service)!,
        url,
        { log },
      );
    } catch (error) {
      await dropDatabase(url).catch(() => undefined);
      throw error;
    }
    const db = openDatabase(url, { max: 1 });
    return {
      ...db,
      query: <R>(sql: string, params?: unknown[]) => {
        counted.queries++;
        return db.query<R>(sql, params);
      },
    };
  };
}

async function connected(url: string): Promise<Client> {
  const client = new Client({ connectionString: url });
  client.on('error', () => undefined); // a dropped connection fails the next query, which reports it
  await client.connect();
  return client;
}
