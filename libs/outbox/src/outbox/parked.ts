import type { Pool, PoolClient, Client } from 'pg';
import { DEFAULT_RELAY_OPTIONS } from './outbox.options';

type Queryable = Pool | PoolClient | Client;

/** An outbox row the relay could not publish, as the operator sees it. */
export interface ParkedRow {
  id: string;
  sequence: string;
  subject: string;
  type: string;
  correlationId: string;
  attempts: number;
  lastError: string | null;
  occurredAt: string;
  parkedAt: string;
  /** Size of the stored payload as text, in bytes: the first suspect when NATS refused the row. */
  payloadBytes: number;
}

/** Parked rows of one outbox, oldest first. */
export async function listParked(db: Queryable, { limit = 100 }: { limit?: number } = {}): Promise<ParkedRow[]> {
  const { rows } = await db.query<ParkedRow>(
    `SELECT id, sequence::text AS sequence, subject, type, correlation_id AS "correlationId", attempts,
            last_error AS "lastError", to_json(occurred_at) #>> '{}' AS "occurredAt",
            to_json(parked_at) #>> '{}' AS "parkedAt", octet_length(payload::text) AS "payloadBytes"
       FROM outbox_messages WHERE published_at IS NULL AND parked_at IS NOT NULL
      ORDER BY sequence LIMIT $1`,
    [limit],
  );
  return rows;
}

/**
 * Releases parked rows (all of them with `'all'`): the relay tries them again, after whatever was
 * fixed (a stream created, a limit raised). The NOTIFY wakes a relay in another process at once.
 * Resolves to the ids released; ids that are not parked are left alone and not returned.
 */
export async function releaseParked(
  db: Queryable,
  ids: readonly string[] | 'all',
  { channel = DEFAULT_RELAY_OPTIONS.channel }: { channel?: string } = {},
): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `WITH released AS (
       UPDATE outbox_messages SET parked_at = NULL
        WHERE published_at IS NULL AND parked_at IS NOT NULL AND ($1::uuid[] IS NULL OR id = ANY($1::uuid[]))
        RETURNING id, sequence)
     SELECT id FROM released ORDER BY sequence`,
    [ids === 'all' ? null : ids],
  );
  if (rows.length > 0) await db.query('SELECT pg_notify($1, $2)', [channel, '']);
  return rows.map((row) => row.id);
}
