import { headers as natsHeaders, type JetStreamClient, type PubAck } from 'nats';

/** A pending outbox row as the relay reads it: what it needs to publish the envelope as stored. */
export interface PendingRow {
  id: string;
  subject: string;
  type: string;
  payload: string;
  traceparent: string | null;
  correlation_id: string;
  causation_id: string | null;
  occurred_at: string;
}

const PENDING_COLUMNS = `id, subject, type, payload::text AS payload, headers->>'traceparent' AS traceparent,
    correlation_id, causation_id, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS occurred_at`;
const PENDING_WHERE = `published_at IS NULL AND parked_at IS NULL AND NOT (id = ANY($2::uuid[])) ORDER BY sequence LIMIT $1`;

/** Pending rows in insert order ($1 of them), but for the ids in `$2`. */
export const SELECT_PENDING = `SELECT ${PENDING_COLUMNS} FROM outbox_messages WHERE ${PENDING_WHERE}`;

/** Published rows marked, each with its broker ack's time: ids in `$1`, times in `$2` (the same order). */
const MARK = `UPDATE outbox_messages SET published_at = m.at, attempts = attempts + 1, last_error = NULL
    FROM unnest($ID::uuid[], $AT::timestamptz[]) AS m(id, at) WHERE outbox_messages.id = m.id`;

/** MARK alone. */
export const MARK_PUBLISHED = MARK.replace('$ID', '$1').replace('$AT', '$2');

/**
 * The rows published since the last mark (`$2`, acked at `$3`) marked, and the next pending ones
 * read, in one statement. The read sees the table as it was before the mark (one snapshot), so it
 * skips `$2` by id.
 */
export const MARK_AND_SELECT_PENDING = `WITH marked AS (${MARK.replace('$ID', '$2').replace('$AT', '$3')} RETURNING 1)
  SELECT ${PENDING_COLUMNS} FROM outbox_messages WHERE ${PENDING_WHERE}`;

function body(row: PendingRow): string {
  // The payload is spliced in as stored: no parse/stringify round trip on the hot path.
  const head = JSON.stringify({
    id: row.id,
    type: row.type,
    occurredAt: row.occurred_at,
    correlationId: row.correlation_id,
    causationId: row.causation_id,
    traceparent: row.traceparent,
  });
  return `${head.slice(0, -1)},"payload":${row.payload}}`;
}

export function bodyBytes(row: PendingRow): number {
  return Buffer.byteLength(body(row));
}

/**
 * Publishes a row with its id as Nats-Msg-Id (the broker drops a re-publish). A header the client
 * refuses throws synchronously: as a rejection it is sorted like the others.
 */
export function publishRow(js: JetStreamClient, row: PendingRow): Promise<PubAck> {
  try {
    return js.publish(row.subject, body(row), publishOptions(row));
  } catch (error) {
    return Promise.reject(error);
  }
}

function publishOptions(row: PendingRow) {
  const h = natsHeaders();
  h.set('Passo-Type', row.type);
  if (row.traceparent) h.set('traceparent', row.traceparent);
  return { msgID: row.id, headers: h };
}
