/** One dead letter: built from a failed message (dedup id, headers) and filed in the dead-letter stream. */
import { headers as natsHeaders, type JetStreamClient, type JsMsg, type MsgHdrs, type PubAck } from 'nats';
import type { Topology } from '../jetstream/topology';

/** Headers a dead letter carries besides a copy of the original's own. */
export const DeadLetterHeader = {
  OriginalSubject: 'Passo-Original-Subject',
  OriginalMsgId: 'Passo-Original-Msg-Id',
  Consumer: 'Passo-Consumer',
  DeliveryCount: 'Passo-Delivery-Count',
  Error: 'Passo-Error',
  DeadLetteredAt: 'Passo-Dead-Lettered-At',
} as const;

export const MAX_ERROR_LENGTH = 1_000;

export interface DeadLetterInput {
  /** The subject the message was published to (with the topology prefix). */
  subject: string;
  stream: string;
  streamSequence: number;
  deliveryCount: number;
  consumer: string;
  error: unknown;
  at: Date;
  originalHeaders: ReadonlyArray<readonly [string, string]>;
}

export interface DeadLetterMessage {
  msgId: string;
  headers: Array<[string, string]>;
}

/** Pure: the dedup id and headers of the dead letter for one failed message. */
export function buildDeadLetter(input: DeadLetterInput): DeadLetterMessage {
  const originalId = input.originalHeaders.find(([key]) => key.toLowerCase() === 'nats-msg-id')?.[1];
  // The publish id, not the envelope id: a replayed message (new publish id, same envelope) that
  // fails again must not be dropped as a duplicate of its first dead letter.
  const source = originalId ?? `${input.stream}:${input.streamSequence}`;
  const kept = input.originalHeaders.filter(([key]) => !isTransportHeader(key));
  return {
    msgId: `${source}:${input.consumer}`,
    headers: [
      ...kept.map(([key, value]): [string, string] => [key, value]),
      [DeadLetterHeader.OriginalSubject, input.subject],
      [DeadLetterHeader.OriginalMsgId, source],
      [DeadLetterHeader.Consumer, input.consumer],
      [DeadLetterHeader.DeliveryCount, String(input.deliveryCount)],
      [DeadLetterHeader.Error, oneLine(describeError(input.error))],
      [DeadLetterHeader.DeadLetteredAt, input.at.toISOString()],
    ],
  };
}

/**
 * Headers the broker or the dead-lettering owns: not copied from an original into its dead letter,
 * nor from a dead letter into its replay (a stale Nats-Msg-Id would be dropped as a duplicate).
 */
export function isTransportHeader(key: string): boolean {
  return /^(nats-|passo-(original|consumer|delivery|error|dead))/i.test(key);
}

/** Error text for a log line or a header: Error, Nest's `{status, message}`, string, or JSON. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  if (typeof error === 'string') return error;
  if (error && typeof error === 'object' && typeof (error as { message?: unknown }).message === 'string') {
    return (error as { message: string }).message;
  }
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}

/** NATS headers cannot hold line breaks, and a stack trace would bloat every dead letter. */
export function oneLine(text: string, max = MAX_ERROR_LENGTH): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export function headerPairs(headers: MsgHdrs | undefined): Array<[string, string]> {
  if (!headers) return [];
  return headers.keys().flatMap((key) => headers.values(key).map((value): [string, string] => [key, value]));
}

/**
 * Publishes the original body to `dlq.<consumer>.<contract subject>` and resolves once the
 * dead-letter stream has stored it: only then may the caller term() the original.
 */
export async function publishDeadLetter(
  js: JetStreamClient,
  topology: Topology,
  msg: JsMsg,
  consumer: string,
  contractSubject: string,
  error: unknown,
): Promise<PubAck> {
  const { msgId, headers } = buildDeadLetter({
    subject: msg.subject,
    stream: msg.info.stream,
    streamSequence: msg.info.streamSequence,
    deliveryCount: msg.info.deliveryCount,
    consumer,
    error,
    at: new Date(),
    originalHeaders: headerPairs(msg.headers),
  });
  const hdrs = natsHeaders();
  for (const [key, value] of headers) hdrs.append(key, value);
  return js.publish(topology.deadLetterSubject(consumer, contractSubject), msg.data, {
    msgID: msgId,
    headers: hdrs,
    expect: { streamName: topology.deadLetters().name },
  });
}
