import type { Pool, PoolClient } from 'pg';
import type { RelayOptions } from './outbox.options';
import type { RelayLogger } from './outbox-relay';

/**
 * Deletes published outbox rows and inbox records past the retention (an inbox record must outlive
 * any redelivery of its message: unacked ones come back within the ack wait, a relay's re-publish
 * within minutes; the apps keep them a day unless told otherwise), in small batches with a pause
 * between them, so a large backlog of old rows never turns into one long, lock-heavy statement.
 * Parked rows are never deleted: they wait for an operator (`npm run outbox -- release`).
 */
const DELETE_PUBLISHED = `DELETE FROM outbox_messages WHERE id IN (
    SELECT id FROM outbox_messages
     WHERE published_at IS NOT NULL AND published_at < now() - ($1::bigint * interval '1 millisecond')
       AND parked_at IS NULL
     LIMIT $2)`;

const DELETE_PROCESSED = `DELETE FROM inbox_messages WHERE (consumer, message_id) IN (
    SELECT consumer, message_id FROM inbox_messages
     WHERE processed_at < now() - ($1::bigint * interval '1 millisecond')
     ORDER BY processed_at LIMIT $2)`;

export async function deleteExpired(
  session: PoolClient,
  { retentionMs, cleanupBatchSize }: Pick<RelayOptions, 'retentionMs' | 'cleanupBatchSize'>,
  keepGoing: () => boolean,
): Promise<number> {
  let total = 0;
  for (const sql of [DELETE_PUBLISHED, DELETE_PROCESSED]) {
    while (keepGoing()) {
      const { rowCount } = await session.query(sql, [retentionMs, cleanupBatchSize]);
      total += rowCount ?? 0;
      if ((rowCount ?? 0) < cleanupBatchSize) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return total;
}

/**
 * The leader's cleanup: `deleteExpired` at most once per `cleanupIntervalMs`, beside the
 * publishing rather than in its loop, on a connection of its own. Deleting a minute's rows in
 * small batches with pauses takes a second or more, and in the loop every message committed
 * meanwhile waited for it (a 60-s-retention soak: relay lag p99 0.4–1.9 s, docs/PERFORMANCE.md).
 */
export class RelayCleanup {
  private last = 0;
  private running?: Promise<void>;

  constructor(
    private readonly options: Pick<RelayOptions, 'retentionMs' | 'cleanupBatchSize' | 'cleanupIntervalMs' | 'name'>,
    private readonly logger: RelayLogger,
    /** False once the relay stops or loses the lead: the cleanup ends after its current batch. */
    private readonly keepGoing: () => boolean,
    private readonly pool: Pool,
  ) {}

  /** Starts a cleanup when one is due and none is running; never waits for it. */
  startIfDue(): void {
    if (this.running || Date.now() - this.last <= this.options.cleanupIntervalMs) return;
    this.last = Date.now();
    this.running = this.run().finally(() => (this.running = undefined));
  }

  /** Resolves once no cleanup runs (a stopping relay's ends after its current batch). */
  async settled(): Promise<void> {
    await this.running;
  }

  private async run(): Promise<void> {
    let client: PoolClient | undefined;
    let failure: Error | undefined;
    try {
      client = await this.pool.connect();
      const deleted = await deleteExpired(client, this.options, this.keepGoing);
      if (deleted > 0)
        this.logger.log(`${this.options.name}: cleaned up ${deleted} published outbox rows and inbox records`);
    } catch (error) {
      failure = error as Error;
      // Old rows only wait: the next interval's cleanup deletes them. Publishing is not affected.
      this.logger.warn(
        `${this.options.name}: cleanup failed (${failure.message}); next try in ${this.options.cleanupIntervalMs} ms`,
      );
    } finally {
      client?.release(failure); // a failed connection is not given back to the pool
    }
  }
}
