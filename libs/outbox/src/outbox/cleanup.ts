import type { PoolClient } from 'pg';
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

/** The leader's cleanup: `deleteExpired` at most once per `cleanupIntervalMs`, between batches. */
export class RelayCleanup {
  private last = 0;

  constructor(
    private readonly options: Pick<RelayOptions, 'retentionMs' | 'cleanupBatchSize' | 'cleanupIntervalMs' | 'name'>,
    private readonly logger: RelayLogger,
    private readonly keepGoing: () => boolean,
  ) {}

  due(): boolean {
    return Date.now() - this.last > this.options.cleanupIntervalMs;
  }

  async run(session: PoolClient): Promise<void> {
    this.last = Date.now();
    const deleted = await deleteExpired(session, this.options, this.keepGoing);
    if (deleted > 0)
      this.logger.log(`${this.options.name}: cleaned up ${deleted} published outbox rows and inbox records`);
  }
}
