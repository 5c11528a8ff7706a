import { headers as natsHeaders, type JetStreamClient, type JetStreamManager, type StoredMsg } from 'nats';
import type { Topology } from '../jetstream/topology';
import { DeadLetterHeader, headerPairs, isTransportHeader } from './dead-letter';

export interface DeadLetter {
  /** Sequence in the dead-letter stream: what `show` and `replay` take. */
  seq: number;
  consumer: string;
  originalSubject: string;
  originalMsgId: string | null;
  deliveryCount: number;
  error: string;
  deadLetteredAt: string;
  /** Every header, Passo-* included (first value of each). */
  headers: Record<string, string>;
  /** The original body, byte for byte. */
  data: Uint8Array;
}

export interface ReplayResult {
  subject: string;
  msgId: string;
  /** Sequence of the republished message in its own stream. */
  seq: number;
  duplicate: boolean;
}

export class DeadLetterNotFoundError extends Error {
  constructor(stream: string, seq: number) {
    super(`no dead letter #${seq} in stream ${stream}`);
  }
}

/** The newest dead letters first, at most `limit`. */
export async function listDeadLetters(
  jsm: JetStreamManager,
  topology: Topology,
  { limit = 20 }: { limit?: number } = {},
): Promise<DeadLetter[]> {
  const stream = topology.deadLetters().name;
  const info = await jsm.streams.info(stream).catch((error: unknown) => {
    if (isNotFound(error)) return null; // nothing was ever dead-lettered
    throw error;
  });
  const found: DeadLetter[] = [];
  // An empty stream reports sequence 0, which the server refuses to look up.
  if (!info || info.state.messages === 0) return found;
  // Walking back by sequence skips replayed (deleted) ones; fine at the sizes a DLQ should have.
  for (let seq = info.state.last_seq; seq >= Math.max(1, info.state.first_seq) && found.length < limit; seq--) {
    const stored = await jsm.streams.getMessage(stream, { seq }).catch((error: unknown) => {
      if (isNotFound(error)) return null;
      throw error;
    });
    if (stored) found.push(toDeadLetter(stored));
  }
  return found;
}

export async function getDeadLetter(jsm: JetStreamManager, topology: Topology, seq: number): Promise<DeadLetter> {
  const stream = topology.deadLetters().name;
  try {
    return toDeadLetter(await jsm.streams.getMessage(stream, { seq }));
  } catch (error) {
    if (isNotFound(error)) throw new DeadLetterNotFoundError(stream, seq);
    throw error;
  }
}

/**
 * Republishes a dead letter's original body to its original subject, then deletes the dead letter.
 * The envelope (and so the consumers' inbox key) stays the same; the publish id is new, because
 * within the broker's duplicate window the original Nats-Msg-Id would be dropped as a duplicate.
 * It is derived from the dead letter's sequence, so a replay retried after a failed delete is
 * still deduplicated. Other consumer groups of that subject get it too: their inbox skips it.
 */
export async function replayDeadLetter(
  js: JetStreamClient,
  jsm: JetStreamManager,
  topology: Topology,
  seq: number,
): Promise<ReplayResult> {
  const letter = await getDeadLetter(jsm, topology, seq);
  if (!letter.originalSubject) throw new Error(`dead letter #${seq} has no ${DeadLetterHeader.OriginalSubject} header`);
  const msgId = replayMsgId(letter.originalMsgId ?? `dlq-${seq}`, seq);
  const hdrs = natsHeaders();
  for (const [key, value] of Object.entries(letter.headers)) {
    if (!isTransportHeader(key)) hdrs.set(key, value);
  }
  const ack = await js.publish(letter.originalSubject, letter.data, { msgID: msgId, headers: hdrs });
  await jsm.streams.deleteMessage(topology.deadLetters().name, seq, false).catch((error: unknown) => {
    if (!isNotFound(error)) throw error; // a concurrent replay deleted it already
  });
  return { subject: letter.originalSubject, msgId, seq: ack.seq, duplicate: ack.duplicate };
}

/** `<root id>:replay:<dlq seq>`, never nesting `:replay:` when a replayed message fails again. */
export function replayMsgId(originalMsgId: string, deadLetterSeq: number): string {
  return `${originalMsgId.split(':replay:')[0]}:replay:${deadLetterSeq}`;
}

function toDeadLetter(stored: StoredMsg): DeadLetter {
  const headers: Record<string, string> = {};
  for (const [key, value] of headerPairs(stored.header)) headers[key] ??= value;
  return {
    seq: stored.seq,
    consumer: headers[DeadLetterHeader.Consumer] ?? '',
    originalSubject: headers[DeadLetterHeader.OriginalSubject] ?? '',
    originalMsgId: headers[DeadLetterHeader.OriginalMsgId] ?? null,
    deliveryCount: Number(headers[DeadLetterHeader.DeliveryCount] ?? 0),
    error: headers[DeadLetterHeader.Error] ?? '',
    deadLetteredAt: headers[DeadLetterHeader.DeadLetteredAt] ?? stored.time.toISOString(),
    headers,
    data: stored.data,
  };
}

function isNotFound(error: unknown): boolean {
  const { code, message } = error as { code?: unknown; message?: string };
  return String(code) === '404' || /not found|no message found/i.test(message ?? '');
}
