import type { PoolClient } from 'pg';
import type { RelayOptions } from './outbox.options';

/**
 * Deletes published rows past the retention in small batches with a pause between them, so a
 * large backlog of old rows never turns into one long, lock-heavy statement. Parked rows are never
 * deleted: they wait for an operator (`npm run outbox -- release`).
 */
export async function deleteExpired(
  session: PoolClient,
  { retentionMs, cleanupBatchSize }: Pick<RelayOptions, 'retentionMs' | 'cleanupBatchSize'>,
  keepGoing: () => boolean,
): Promise<number> {
  let total = 0;
  while (keepGoing()) {
    const { rowCount } = await session.query(
      `DELETE FROM outbox_messages WHERE id IN (
         SELECT id FROM outbox_messages
          WHERE published_at IS NOT NULL AND published_at < now() - ($1::bigint * interval '1 millisecond')
            AND parked_at IS NULL
          LIMIT $2)`,
      [retentionMs, cleanupBatchSize],
    );
    total += rowCount ?? 0;
    if ((rowCount ?? 0) < cleanupBatchSize) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return total;
}
