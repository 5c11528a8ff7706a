import { z } from 'zod';
import type { MessageContract } from './contract';

/** What travels on the wire (docs/ARCHITECTURE.md, "Messaging"): one id end to end. */
export interface Envelope<P = unknown> {
  /** The outbox row id: JetStream Nats-Msg-Id and the consumers' inbox key. */
  id: string;
  /** The contract's name, e.g. `OrderPlaced`. */
  type: string;
  occurredAt: string;
  /** The saga's correlation id (the order id). */
  correlationId: string;
  /** The id of the message that caused this one, when there is one. */
  causationId: string | null;
  /** W3C trace context of the producing request, when there is one. */
  traceparent: string | null;
  payload: P;
}

/**
 * W3C Trace Context `traceparent` (version-traceid-parentid-flags, lowercase hex). It travels as a
 * NATS header, so anything looser (a CR/LF above all) would make every publish of the message fail.
 */
export const TRACEPARENT_PATTERN = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

export const TraceparentSchema = z
  .string()
  .regex(TRACEPARENT_PATTERN, 'a W3C traceparent: 00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>')
  .refine((value) => !value.startsWith('ff-'), 'traceparent version ff is invalid')
  .refine((value) => !/^..-0{32}-/.test(value), 'traceparent trace id is all zeros')
  .refine((value) => !/-0{16}-..$/.test(value), 'traceparent parent id is all zeros');

/** Contract names, correlation and causation ids: bounded like every string on the wire. */
const ENVELOPE_STRING_MAX = 255;
const EnvelopeString = z.string().min(1).max(ENVELOPE_STRING_MAX);

export const EnvelopeSchema = z.object({
  id: z.uuid(),
  type: EnvelopeString,
  occurredAt: z.iso.datetime({ offset: true }),
  correlationId: EnvelopeString,
  causationId: EnvelopeString.nullable(),
  traceparent: TraceparentSchema.nullable().default(null),
  payload: z.unknown(),
});

export type EnvelopeCheck<P> = { ok: true; envelope: Envelope<P> } | { ok: false; error: string };

/** Validates an envelope and its payload against the contract; never throws. */
export function checkEnvelope<P>(contract: MessageContract<P>, raw: unknown): EnvelopeCheck<P> {
  const envelope = EnvelopeSchema.safeParse(raw);
  if (!envelope.success) return { ok: false, error: `envelope: ${z.prettifyError(envelope.error)}` };
  if (envelope.data.type !== contract.name) {
    return { ok: false, error: `type ${envelope.data.type} is not ${contract.name}` };
  }
  const payload = contract.schema.safeParse(envelope.data.payload);
  if (!payload.success) return { ok: false, error: `payload: ${z.prettifyError(payload.error)}` };
  return { ok: true, envelope: { ...envelope.data, payload: payload.data } };
}
