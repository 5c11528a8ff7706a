/** The operator's side of the dead-letter stream (`npm run dlq`): list, show and replay one dead letter. */
import { headers as natsHeaders, type JetStreamClient, type JetStreamManager, type StoredMsg } from 'nats';
import type { MessageContract } from '@passo/contracts';
import type { Topology } from '../jetstream/topology';
import { DeadLetterHeader, headerPairs, isTransportHeader } from './dead-letter-message';

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

/** A dead letter that is not replayed: its subject is no known contract's (or it has none). */
export class DeadLetterRefusedError extends Error {
  constructor(
    readonly seq: number,
    readonly reason: string,
  ) {
    super(`dead letter #${seq} not replayed: ${reason}`);
  }
}

export interface ReplayOptions {
  /**
   * The contracts a replay may publish to: a dead letter whose original subject (minus the
   * topology prefix) is none of theirs is refused, so a replay never sends to a subject that no
   * contract defines (a forged or garbled header). Not given: any subject (library callers).
   */
  contracts?: readonly Pick<MessageContract, 'subject'>[];
}

/** The contract subject a dead letter came from (its original subject without the topology prefix). */
export function contractSubjectOf(letter: Pick<DeadLetter, 'originalSubject'>, topology: Topology): string | null {
  if (!letter.originalSubject) return null;
  if (!topology.prefix) return letter.originalSubject;
  const head = `${topology.prefix}.`;
  return letter.originalSubject.startsWith(head) ? letter.originalSubject.slice(head.length) : null;
}

/** Why a dead letter may not be replayed, or null when it may. */
export function replayRefusal(
  letter: DeadLetter,
  topology: Topology,
  { contracts }: ReplayOptions = {},
): string | null {
  if (!letter.originalSubject) return `it has no ${DeadLetterHeader.OriginalSubject} header`;
  if (!contracts) return null;
  const subject = contractSubjectOf(letter, topology);
  if (subject === null)
    return `its subject ${letter.originalSubject} is outside the topology prefix "${topology.prefix}"`;
  if (!contracts.some((contract) => contract.subject === subject)) {
    return `its subject ${subject} is no known contract's`;
  }
  return null;
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

/** Every dead letter, oldest first (the order a bulk replay keeps). */
export async function* scanDeadLetters(jsm: JetStreamManager, topology: Topology): AsyncGenerator<DeadLetter> {
  const stream = topology.deadLetters().name;
  const info = await jsm.streams.info(stream).catch((error: unknown) => {
    if (isNotFound(error)) return null;
    throw error;
  });
  if (!info || info.state.messages === 0) return;
  for (let seq = Math.max(1, info.state.first_seq); seq <= info.state.last_seq; seq++) {
    const stored = await jsm.streams.getMessage(stream, { seq }).catch((error: unknown) => {
      if (isNotFound(error)) return null; // replayed (deleted) already
      throw error;
    });
    if (stored) yield toDeadLetter(stored);
  }
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
  options: ReplayOptions = {},
): Promise<ReplayResult> {
  return replayLetter(js, jsm, topology, await getDeadLetter(jsm, topology, seq), options);
}

/** `replayDeadLetter` for a dead letter already read (the bulk replay reads each once). */
export async function replayLetter(
  js: JetStreamClient,
  jsm: JetStreamManager,
  topology: Topology,
  letter: DeadLetter,
  options: ReplayOptions = {},
): Promise<ReplayResult> {
  const { seq } = letter;
  const refusal = replayRefusal(letter, topology, options);
  if (refusal !== null) throw new DeadLetterRefusedError(seq, refusal);
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
