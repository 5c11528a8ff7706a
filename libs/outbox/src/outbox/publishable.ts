import { EnvelopeSchema, type Envelope } from '@passo/contracts';
import { z } from 'zod';
import { UnpublishableMessageError } from '../errors/unpublishable-message.error';

/** The consumers' limit on a message body (the transport's `maxMessageBytes` default). */
export const DEFAULT_MAX_PAYLOAD_BYTES = 64 * 1024;

const MetaSchema = EnvelopeSchema.pick({ correlationId: true, causationId: true, traceparent: true });

/**
 * Refuses, before it is written, an envelope the relay could never publish or a consumer would
 * refuse: a traceparent that is not W3C (it becomes a NATS header, where CR/LF is fatal), an
 * unbounded id, or a body above `maxPayloadBytes`.
 */
export function assertPublishable(envelope: Envelope, maxPayloadBytes: number): void {
  const meta = MetaSchema.safeParse(envelope);
  if (!meta.success) {
    const fields = meta.error.issues.map((issue) => issue.path.join('.'));
    const problem = fields.includes('traceparent') ? 'header' : 'envelope';
    throw new UnpublishableMessageError(problem, `${envelope.type}: ${z.prettifyError(meta.error)}`);
  }
  const bytes = publishedBodyBytes(envelope);
  if (bytes > maxPayloadBytes) {
    throw new UnpublishableMessageError(
      'size',
      `${envelope.type}: the published message would be ${bytes} bytes, above the limit of ${maxPayloadBytes}`,
    );
  }
}

/**
 * Size of the body the relay sends: the envelope as JSON with the payload as PostgreSQL prints a
 * jsonb (`payload::text`), which puts a space after every ':' and ',' that JSON.stringify omits.
 */
export function publishedBodyBytes(envelope: Envelope): number {
  return Buffer.byteLength(JSON.stringify(envelope)) + jsonbSpaces(envelope.payload);
}

function jsonbSpaces(value: unknown): number {
  if (Array.isArray(value)) {
    return value.reduce<number>((sum, item) => sum + jsonbSpaces(item), Math.max(0, value.length - 1));
  }
  if (value === null || typeof value !== 'object') return 0;
  const entries = Object.entries(value).filter(([, item]) => item !== undefined);
  // ': ' after each key, ', ' between entries.
  return entries.reduce((sum, [, item]) => sum + jsonbSpaces(item), entries.length + Math.max(0, entries.length - 1));
}
