import { audit, checkInvariants, type AuditDatabases, type AuditOptions, type AuditResult } from '../audit';
import { freePort } from '../devstack/ports';
import { SERVICES, type ServiceName, type ServiceSpec } from '../services/services';
import {
  type ReadyOptions,
  type RunningApp,
  type SpawnOptions,
  spawnRunApp,
  stopApp,
  waitReady,
} from './app-processes';
import type { SystemDatabase } from './system-database';

export type ServiceApp = ServiceSpec['app'];
const byApp = (app: ServiceApp) => SERVICES.find((s) => s.app === app)!;
const byName = (name: ServiceName) => SERVICES.find((s) => s.name === name)!;

export interface PassoSystemOptions<D extends SystemDatabase> {
  /** The system's streams and consumer groups are `<prefix>…`: never another system's. */
  prefix: string;
  natsUrl: string;
  /** Makes one service's database, migrated, for this system alone. */
  database: (service: ServiceName) => Promise<D>;
  /** More environment for every app (NATS users, LOG_LEVEL, the lab)… */
  env?: Record<string, string>;
  /** …and for one app, over that (a short saga deadline for the orchestrator). */
  appEnv?: (app: ServiceApp) => Record<string, string> | undefined;
  /** Per app: node flags, a log file, whether to keep all it writes. */
  spawn?: (app: ServiceApp) => SpawnOptions;
  /** Where the apps' lines go (default: nowhere). */
  print?: (line: string) => void;
  /** When boot() resolves (default: healthy within 60 s). */
  ready?: ReadyOptions;
}

/**
 * Passo's apps as real processes, on databases and a stream prefix of their own: the one harness
 * the e2e tests (test/e2e/system.ts), a service's tests (test/support/service.ts) and compare,
 * bench and the demo (harness.ts) run the system with — all four apps, or one.
 */
export class PassoSystem<D extends SystemDatabase = SystemDatabase> {
  readonly prefix: string;
  /** The last process booted per app (a restarted app's replaces its dead one). */
  readonly apps = {} as Record<ServiceApp, RunningApp>;
  readonly dbs = {} as Record<ServiceApp, D>;
  private creating: Promise<unknown> = Promise.resolve();
  private stopped?: Promise<void>;

  constructor(private readonly options: PassoSystemOptions<D>) {
    this.prefix = options.prefix;
  }

  /** The four services' databases, one after the other. */
  async createDatabases(): Promise<void> {
    for (const { app } of SERVICES) await this.createDatabase(app);
  }

  /** One app's database; a stop() meanwhile waits for it, then drops it with the others. */
  createDatabase(app: ServiceApp): Promise<D> {
    this.guard();
    const made = this.options.database(byApp(app).name).then((db) => (this.dbs[app] = db));
    this.creating = Promise.allSettled([this.creating, made]);
    return made;
  }

  /** The four apps at once; resolves when all are ready. */
  async startApps(): Promise<void> {
    await Promise.all(SERVICES.map(({ app }) => this.boot(app)));
  }

  /** What `app` runs with (besides PATH and PORT): its database, the broker, the prefix, then the extra env. */
  appEnv(app: ServiceApp): Record<string, string> {
    return {
      [byApp(app).urlEnv]: this.dbs[app].url,
      NATS_URL: this.options.natsUrl,
      PASSO_TOPOLOGY_PREFIX: this.prefix,
      ...this.options.env,
      ...this.options.appEnv?.(app),
    };
  }

  /** Starts `app` on a free port (again, after it died or was stopped: a restart); resolves once it is ready. */
  async boot(app: ServiceApp): Promise<RunningApp> {
    const port = await freePort();
    this.guard(); // from here to the record, nothing awaits: a stop() sees every app started
    const print = this.options.print ?? (() => undefined);
    const running = spawnRunApp(app, port, this.appEnv(app), print, this.options.spawn?.(app));
    this.apps[app] = running;
    await waitReady(running, this.options.ready);
    return running;
  }

  url(app: ServiceApp): string {
    return this.apps[app].url;
  }

  databaseUrl(service: ServiceName): string {
    return this.dbs[byName(service).app].url;
  }

  /** The four databases, as `npm run audit` reads them. */
  databases(): AuditDatabases {
    return {
      order: this.dbs['order-service'].query,
      inventory: this.dbs['inventory-service'].query,
      payment: this.dbs['payment-service'].query,
      orchestrator: this.dbs['saga-orchestrator'].query,
    };
  }

  /** `npm run audit` on this system (default: the live deadlines). */
  audit(options: AuditOptions = {}): Promise<AuditResult> {
    return audit(this.databases(), options);
  }

  /** The full audit with deadline 0, given what was set up: the violations' sentences, none when all holds. */
  checkInvariants(stockTotals: Record<string, number>, initialBalances: Record<string, number>): Promise<string[]> {
    return checkInvariants(this.databases(), stockTotals, initialBalances);
  }

  /** An app that died is reported at once (a run's wait would only time out). */
  checkAlive(): void {
    const dead = Object.values(this.apps).find((app) => app.exit !== undefined);
    if (dead) throw new Error(`${dead.name} exited (${dead.exit}) during the run:\n${dead.lastLines()}`);
  }

  /** Stops the apps, then drops the databases. Safe at any point (start no more), and twice. */
  stop(options: { signalled?: boolean } = {}): Promise<void> {
    this.stopped ??= this.teardown(options);
    return this.stopped;
  }

  protected async teardown({ signalled = false }: { signalled?: boolean }): Promise<void> {
    await this.stopApps({ signalled });
    await this.dropDatabases();
  }

  /** Gracefully (SIGTERM; SIGKILL when slow), or, after a terminal's Ctrl-C reached them too, waiting for that. */
  protected async stopApps({ signalled = false }: { signalled?: boolean }): Promise<void> {
    await Promise.all(Object.values(this.apps).map((app) => stopApp(app, { signalled })));
  }

  /** Every database, each on its own: one failing is thrown once all were tried. */
  protected async dropDatabases(): Promise<void> {
    await this.creating;
    const drops = await Promise.allSettled(Object.values<D>(this.dbs).map((db) => db.drop()));
    const failed = drops.find((drop) => drop.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** A stop() during a start (Ctrl-C): start no more apps, create no more databases. */
  protected guard(): void {
    if (this.stopped) throw new Error('the system is stopping: nothing more is started');
  }
}
