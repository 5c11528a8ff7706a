import { ErrorCode, type JetStreamManager, type NatsConnection } from 'nats';

/**
 * Why the broker can never take this row, or null when the failure is the infrastructure's (NATS
 * down, a timeout, a leader election) and a retry in order is right. Only what is certain parks:
 * a header the client refuses, a body above the server's max_payload, and a subject no stream
 * takes — a JetStream publish there gets "no responders", as does one while JetStream itself is
 * down, so the stream manager is asked which stream takes the subject before parking.
 */
export async function unpublishableReason(
  error: unknown,
  row: { subject: string; bytes: number },
  nats: NatsConnection | undefined,
  jsm: JetStreamManager | undefined,
): Promise<string | null> {
  const { code, message = '' } = (error ?? {}) as { code?: string; message?: string };
  if (code === ErrorCode.BadHeader) return `NATS refuses a header of the message: ${message}`;
  if (code === ErrorCode.MaxPayloadExceeded) {
    const max = nats?.info?.max_payload;
    return `the message (${row.bytes} bytes of body, plus headers) is above the server's max_payload${max ? ` of ${max} bytes` : ''}`;
  }
  if (code === ErrorCode.NoResponders && jsm) {
    try {
      await jsm.streams.find(row.subject);
      return null; // a stream takes it: JetStream is unavailable, not the subject wrong
    } catch (lookup) {
      if (/no stream matches subject/i.test((lookup as Error).message ?? '')) {
        return `no stream takes the subject ${row.subject} (JetStream publish: no responders)`;
      }
      return null; // the lookup failed too: JetStream is down
    }
  }
  return null;
}
