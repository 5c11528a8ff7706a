import type { Client, Notification, Pool, PoolClient } from 'pg';
import type { RelayOptions } from './outbox.options';
import type { RelayLogger } from './outbox-relay';
import type { WakeUp } from './relay-wake-up';

/**
 * One relay per database publishes: the one whose session holds the advisory lock. The others
 * poll for it, and one takes over when that session ends (stop, crash, lost connection).
 */
export class RelayLeadership {
  active = false;
  private session?: PoolClient;

  constructor(
    private readonly pool: Pool,
    private readonly options: Pick<RelayOptions, 'lockKey' | 'pollIntervalMs' | 'channel' | 'name'>,
    private readonly logger: RelayLogger,
    private readonly wakeUp: WakeUp,
    private readonly running: () => boolean,
    /** NOTIFY payloads of writers that wake the relay in-process already (see OutboxRelay.ignoreNotifications). */
    private readonly ignored: ReadonlySet<string>,
  ) {}

  /**
   * Waits for the advisory lock; resolves to the session holding it, LISTENing for the outbox's
   * NOTIFY (each one wakes the relay), or to undefined when the relay stopped first.
   */
  async acquire(): Promise<PoolClient | undefined> {
    const session = (this.session = await this.pool.connect());
    session.on('error', () => undefined);
    while (this.running()) {
      const { rows } = await session.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [
        this.options.lockKey.toString(),
      ]);
      if (rows[0].locked) break;
      await this.wakeUp.sleep(this.options.pollIntervalMs * 4);
    }
    if (!this.running()) return undefined;
    this.active = true;
    this.logger.log(`${this.options.name}: active (holds the outbox lock)`);
    const onNotify = (message: Notification) => {
      if (message.channel === this.options.channel && !this.ignored.has(message.payload ?? '')) this.wakeUp.wake();
    };
    (session as unknown as Client).on('notification', onNotify);
    await session.query(`LISTEN ${this.options.channel}`);
    return session;
  }

  release(): void {
    if (this.active) this.logger.log(`${this.options.name}: released the outbox lock`);
    this.active = false;
    // Ending the session releases the advisory lock, so a standby relay takes over.
    this.session?.release(true);
    this.session = undefined;
  }
}
