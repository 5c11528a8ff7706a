import { z } from 'zod';
import type { MessageContract } from './contract';

/** What travels on the wire (DESIGN.md, "Messaging"): one id end to end. */
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

export const EnvelopeSchema = z.object({
  id: z.uuid(),
  type: z.string().min(1),
  occurredAt: z.iso.datetime({ offset: true }),
  correlationId: z.string().min(1),
  causationId: z.string().min(1).nullable(),
  traceparent: z.string().nullable().default(null),
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
