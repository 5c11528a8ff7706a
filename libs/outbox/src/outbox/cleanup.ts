import type { PoolClient } from 'pg';
import type { RelayOptions } from './outbox.options';

/**
 * Deletes published rows past the retention in small batches with a pause between them, so a
 * large backlog of old rows never turns into one long, lock-heavy statement.
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
          LIMIT $2)`,
      [retentionMs, cleanupBatchSize],
    );
    total += rowCount ?? 0;
    if ((rowCount ?? 0) < cleanupBatchSize) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return total;
}
