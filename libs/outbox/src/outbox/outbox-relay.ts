import { Pool } from 'pg';
import { connect, type JetStreamClient, type JetStreamManager, type NatsConnection } from 'nats';
import { ensureStreams } from '../jetstream/streams';
import { Topology } from '../jetstream/topology';
import { natsConnectOptions } from '../nats/nats-connect';
import { RelayCleanup } from './cleanup';
import { DEFAULT_RELAY_OPTIONS, type OutboxOptions, type RelayOptions } from './outbox.options';
import { RelayBackoff } from './relay-backoff';
import { RelayLeadership } from './relay-leadership';
import { RelayMetrics } from './relay-metrics';
import { RelayPublishBatch } from './relay-publish-batch';
import type { PendingRow } from './relay-row';
import { WakeUp } from './relay-wake-up';

export interface RelayLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/**
 * For tests only: points where a test steps into the relay's round, to open a crash window or
 * race it (test/outbox/fixtures/relay-child.ts, relay-wake.spec.ts). Apps and OutboxRelayService
 * pass none; a hook is awaited, so a slow one slows the relay.
 */
export interface RelayTestHooks {
  /** Runs after a batch is acked by the broker and before it is marked published (crash-window tests). */
  beforeMark?(ids: string[]): Promise<void> | void;
}

/** How a relay is built, besides the outbox's options and a logger. */
export interface OutboxRelaySetup {
  /** Test hooks only (see RelayTestHooks); never given by an app. */
  hooks?: RelayTestHooks;
}

/**
 * Publishes committed outbox rows to JetStream in order, exactly as stored: the row id is the
 * Nats-Msg-Id, so a re-publish after a crash (published, not yet marked) is dropped by the
 * broker's duplicate window. One relay per database is active (a session advisory lock); the
 * others wait and take over when its session ends. Its jobs, one file each: leadership
 * (relay-leadership.ts), sleeping and waking (relay-wake-up.ts), a publish round
 * (relay-publish-batch.ts), cleanup (cleanup.ts); this class runs them and retries with backoff.
 */
export class OutboxRelay {
  private readonly options: RelayOptions;
  private readonly topology: Topology;
  private readonly pool: Pool;
  private readonly metrics: RelayMetrics;
  private readonly backoff: RelayBackoff;
  private readonly wakeUp = new WakeUp();
  private readonly ignoredNotifications = new Set<string>();
  private readonly leadership: RelayLeadership;
  private readonly batch: RelayPublishBatch;
  private readonly cleanup: RelayCleanup;
  private nats?: NatsConnection;
  private js?: JetStreamClient;
  private jsm?: JetStreamManager;
  private running = false;
  private loop?: Promise<void>;

  constructor(
    private readonly outbox: OutboxOptions,
    private readonly logger: RelayLogger,
    { hooks = {} }: OutboxRelaySetup = {},
  ) {
    // An option given as undefined means "the default", not "unset".
    const given = Object.entries(outbox.relay ?? {}).filter(([, value]) => value !== undefined);
    this.options = { ...DEFAULT_RELAY_OPTIONS, ...Object.fromEntries(given) };
    this.topology = new Topology(outbox.topology);
    // Kept once opened, as the apps' pools (libs/platform's prismaAdapter).
    this.pool = new Pool({
      connectionString: outbox.databaseUrl,
      max: 3,
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 0,
    });
    this.pool.on('error', () => undefined); // a dead idle client is replaced; the loop reports real failures
    this.metrics = new RelayMetrics(outbox.registry, this.pool, this.options.name);
    this.backoff = new RelayBackoff(this.options.backoffInitialMs, this.options.backoffMaxMs);
    const running = () => this.running;
    this.leadership = new RelayLeadership(
      this.pool,
      this.options,
      logger,
      this.wakeUp,
      running,
      this.ignoredNotifications,
    );
    this.batch = new RelayPublishBatch(this.options, this.metrics, logger, outbox.lab, hooks);
    this.cleanup = new RelayCleanup(this.options, logger, () => this.running && this.leadership.active, this.pool);
  }

  /** True while this relay holds the outbox lock (the one publishing). */
  get active(): boolean {
    return this.leadership.active;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Finishes the batch in flight, releases the lock (session end) and closes connections. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    await this.cleanup.settled();
    await this.nats?.drain().catch(() => undefined);
    await this.pool.end().catch(() => undefined);
  }

  /** Read the table and publish what is pending, soon (a writer committed rows it did not hand over). */
  wake(): void {
    this.wakeUp.wake();
  }

  /**
   * Rows this process just committed, to publish soon as they are, without reading them back.
   * While another relay leads they are left to it (it reads the table: the writer's NOTIFY wakes it).
   */
  handOff(rows: readonly PendingRow[]): void {
    if (!this.leadership.active || rows.length === 0) return;
    this.batch.handOff(rows);
    this.wakeUp.nudge();
  }

  /**
   * The NOTIFYs with this payload come from a writer whose commits are handed to this relay already (an
   * OutboxService's notifyTag, linked by OutboxRelayService): acting on them too would cost a
   * round that finds nothing.
   */
  ignoreNotifications(payload: string): void {
    this.ignoredNotifications.add(payload);
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        await this.connectNats();
        await this.lead();
      } catch (error) {
        this.release();
        if (!this.running) break;
        this.metrics.failed.inc({ relay: this.options.name });
        const delay = this.backoff.next();
        this.logger.warn(`${this.options.name}: ${(error as Error).message}; retrying in ${delay} ms`);
        await this.wakeUp.sleep(delay);
      }
    }
    this.release();
  }

  private async connectNats(): Promise<void> {
    if (this.js && this.nats && !this.nats.isClosed()) return;
    const options = natsConnectOptions(this.outbox.natsServers, this.options.name, this.outbox.natsCredentials);
    this.nats = await connect({ ...options, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    this.jsm = await this.nats.jetstreamManager();
    await ensureStreams(this.jsm, this.topology, this.outbox.contracts);
    this.js = this.nats.jetstream({ timeout: this.options.publishTimeoutMs });
  }

  /** Waits for the advisory lock, then drains the outbox for as long as this session holds it. */
  private async lead(): Promise<void> {
    const session = await this.leadership.acquire();
    if (!session) return;
    while (this.running) {
      const broker = { nats: this.nats, js: this.js, jsm: this.jsm };
      const published = await this.batch.publish(session, broker, this.wakeUp.takeReadWanted());
      this.backoff.reset();
      // Beside this loop, on a connection of its own: no message waits for old rows to be deleted.
      this.cleanup.startIfDue();
      if (published === this.options.batchSize) continue; // a busy relay keeps draining
      // Rows still to mark: a round reads and marks them when they are due, woken by a commit or not.
      await this.wakeUp.sleep(this.batch.marksDueIn ?? this.options.pollIntervalMs);
    }
    await this.batch.settle(session);
  }

  private release(): void {
    this.batch.reset(); // unmarked rows are re-published from the start; the broker dedups
    this.leadership.release();
  }
}
