import { randomBytes } from 'node:crypto';
import { connect, type NatsConnection } from 'nats';
import { Client } from 'pg';
import { natsConnectOptions } from '../../libs/outbox/src/nats/nats-connect';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { APPS, appEntry, isHealthy } from './apps';
import type { DatabaseUrlVar } from '../services/services';
import { type ChildSpec, Supervisor } from './supervisor';
import type { Infra } from '../devstack/infra';
import type { AuditDatabases, QueryFn } from '../audit';
import { migrate, SERVICES, type ServiceName } from '../migrator/migrator';
import { dropDatabase, ensureDatabase, withDatabase } from '../devstack/pg-admin';
import { freePort } from '../devstack/ports';
import { type RunningApp, type SpawnOptions, spawnRunApp, stopApp, waitReady } from './app-processes';

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
 * The four apps on databases and streams of their own (dropped and deleted at the end), so a
 * run measures nothing but itself, next to whatever else uses the same servers.
 */
export class CompareSystem {
  /** Every stream of the run is `<PREFIX>_…`. */
  readonly prefix: string;
  readonly apps: RunningApp[] = [];
  private readonly urls = new Map<ServiceName, string>();
  private readonly clients = new Map<ServiceName, Client>();
  private readonly envs = new Map<RunningApp['name'], Record<string, string>>();
  private readonly endpoints = new Map<RunningApp['name'], string>();
  private supervisor?: Supervisor;
  private closeLogs?: () => Promise<void>;
  private admin?: Client;
  private nats?: NatsConnection;
  private ownQueries = 0;
  private stopped?: Promise<void>;

  constructor(
    private readonly infra: Infra,
    private readonly log: (line: string) => void,
    private readonly options: SystemOptions = {},
  ) {
    const short = options.name === undefined ? 'cmp' : options.name.slice(0, 3);
    this.prefix = `${short}${randomBytes(4).toString('hex')}`;
  }

  /** Fresh, migrated databases for the four services; connections to read them and the broker. */
  async createDatabases(): Promise<void> {
    const server = this.infra.adminUrl ?? this.infra.urls.ORDER_DATABASE_URL;
    const tag = randomBytes(3).toString('hex');
    for (const spec of SERVICES) {
      this.guard();
      const url = withDatabase(server, `passo_${this.options.name ?? 'compare'}_${spec.name}_${tag}`);
      this.urls.set(spec.name, url); // before creating: a failure half-way still drops it
      await ensureDatabase(url);
      await migrate(spec, url, { log: this.log });
    }
    this.admin = await connected(withDatabase(server, 'postgres'));
    for (const name of ['order', 'inventory', 'payment', 'orchestrator'] as const) {
      this.clients.set(name, await connected(this.urls.get(name)!));
    }
    this.nats = await connect(natsConnectOptions(this.infra.urls.NATS_URL, 'passo-compare', this.infra.natsAdmin));
  }

  /** The four built apps, each on a free port, with LOG_LEVEL=warn (or as set); resolves when all are healthy. */
  async startApps(): Promise<void> {
    for (const { name, databaseUrlVar } of APPS) {
      const port = await freePort();
      const env = this.appEnv(databaseUrlVar);
      this.guard(); // from here to the push, nothing awaits: a stop sees every app started
      this.envs.set(name, env);
      this.endpoints.set(name, `http://127.0.0.1:${port}`);
      this.apps.push(this.spawn(name, port));
    }
    await Promise.all(this.apps.map((app) => waitReady(app)));
  }

  private spawn(name: RunningApp['name'], port: number): RunningApp {
    const log = (line: string) => process.stderr.write(`${line}\n`);
    return spawnRunApp(name, port, this.envs.get(name)!, log, this.options.spawn?.(name));
  }

  /**
   * The four apps under the Supervisor `npm start` uses (tools/system/supervisor.ts): an app that
   * dies (the lab's crash fault) is restarted on its port, with the events to report it. Each
   * app's lines go to `logFile(app)`. Resolves when all are healthy.
   */
  async startSupervised(logFile: (app: RunningApp['name']) => string): Promise<Supervisor> {
    const specs: ChildSpec[] = [];
    for (const { name, databaseUrlVar } of APPS) {
      const port = await freePort();
      this.endpoints.set(name, `http://127.0.0.1:${port}`);
      const env = { PATH: process.env.PATH ?? '', ...this.appEnv(databaseUrlVar), PORT: String(port) };
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

  /** A service's database of this run (for readers of tables the invariants do not cover). */
  databaseUrl(name: ServiceName): string {
    return this.urls.get(name)!;
  }

  url(name: RunningApp['name']): string {
    return this.endpoints.get(name)!;
  }

  /** What every app of the run is started with (plus PATH and PORT). */
  private appEnv(databaseUrlVar: DatabaseUrlVar): Record<string, string> {
    const service = SERVICES.find((s) => s.urlEnv === databaseUrlVar)!.name;
    return {
      [databaseUrlVar]: this.urls.get(service)!,
      NATS_URL: this.infra.urls.NATS_URL,
      ...this.infra.natsEnv, // each app picks its own user (<APP>_NATS_USER/PASSWORD)
      PASSO_TOPOLOGY_PREFIX: this.prefix,
      LOG_LEVEL: this.options.logLevel ?? 'warn',
      ...this.options.env,
    };
  }

  /** The four databases for reading; every statement is counted (see Snapshot.ownQueries). */
  databases(): AuditDatabases {
    const query =
      (name: ServiceName): QueryFn =>
      async <R>(sql: string, params: unknown[] = []) => {
        this.ownQueries++;
        return (await this.clients.get(name)!.query(sql, params)).rows as R[];
      };
    return {
      order: query('order'),
      inventory: query('inventory'),
      payment: query('payment'),
      orchestrator: query('orchestrator'),
    };
  }

  /** An app that died mid-run is reported at once instead of as a timeout. */
  checkAlive(): void {
    const dead = this.apps.find((app) => app.exit !== undefined);
    if (dead) throw new Error(`${dead.name} exited (${dead.exit}) during the run:\n${dead.lastLines()}`);
  }

  async snapshot(): Promise<Snapshot> {
    const names = [...this.urls.values()].map((url) => new URL(url).pathname.slice(1));
    const { rows } = await this.admin!.query<{ commits: string }>(
      'SELECT coalesce(sum(xact_commit), 0)::text AS commits FROM pg_stat_database WHERE datname = ANY($1::text[])',
      [names],
    );
    let messages = 0;
    for await (const stream of (await this.nats!.jetstreamManager()).streams.list()) {
      if (this.ours(stream.config.name)) messages += stream.state.messages;
    }
    return { at: Date.now(), commits: Number(rows[0].commits), ownQueries: this.ownQueries, messages };
  }

  /** Stops the apps, then removes everything the run created. Safe to call at any point, and twice. */
  stop(options: { signalled?: boolean } = {}): Promise<void> {
    this.stopped ??= this.teardown(options);
    return this.stopped;
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
    for await (const stream of jsm.streams.list()) {
      if (!this.ours(stream.config.name)) continue;
      for await (const consumer of jsm.consumers.list(stream.config.name)) {
        count += consumer.num_pending + consumer.num_ack_pending;
      }
    }
    return count;
  }

  /** The run's streams: Topology names them `<PREFIX>_<CONTEXT>`. */
  private ours(stream: string): boolean {
    return stream.startsWith(`${this.prefix.toUpperCase()}_`);
  }

  /** A stop (Ctrl-C) during start: start no more apps, create no more databases. */
  private guard(): void {
    if (this.stopped) throw new Error('stopped');
  }

  private async teardown({ signalled = false }: { signalled?: boolean }): Promise<void> {
    await Promise.all(this.apps.map((app) => stopApp(app, { signalled })));
    await this.supervisor?.stop();
    await this.closeLogs?.();
    for (const client of [...this.clients.values(), this.admin]) await client?.end().catch(() => undefined);
    this.clients.clear();
    this.admin = undefined;
    // Each step on its own: NATS being down must not keep the databases from being dropped.
    await this.deleteStreams().catch((e: Error) => this.log(`deleting the run's streams: ${e.message}`));
    for (const url of this.urls.values()) await dropDatabase(url).catch((e: Error) => this.log(`drop: ${e.message}`));
    this.urls.clear();
  }

  private async deleteStreams(): Promise<void> {
    const nats = this.nats;
    this.nats = undefined;
    if (!nats) return;
    const jsm = await nats.jetstreamManager();
    for await (const stream of jsm.streams.list()) {
      if (this.ours(stream.config.name)) await jsm.streams.delete(stream.config.name);
    }
    await nats.drain();
  }
}

async function connected(url: string): Promise<Client> {
  const client = new Client({ connectionString: url });
  client.on('error', () => undefined); // a dropped connection fails the next query, which reports it
  await client.connect();
  return client;
}
