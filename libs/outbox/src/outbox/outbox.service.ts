import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Envelope, MessageContract } from '@passo/contracts';
import { Topology } from '../jetstream/topology';
import type { SqlExecutor } from '../sql';
import { DEFAULT_RELAY_OPTIONS, OUTBOX_OPTIONS, type OutboxOptions } from './outbox.options';
import { assertPublishable, DEFAULT_MAX_PAYLOAD_BYTES } from './publishable';

export interface MessageMeta {
  /** The saga's correlation id (the order id). */
  correlationId: string;
  /** The message that caused this one (its envelope id), when there is one. */
  causationId?: string | null;
  traceparent?: string | null;
  /** Defaults to a new UUID; pass one to make the add itself idempotent. */
  id?: string;
}

const INSERT = `INSERT INTO outbox_messages (id, subject, type, payload, headers, correlation_id, causation_id, occurred_at)
  VALUES ($1::uuid, $2, $3, $4::jsonb, $5::jsonb, $6, $7, $8::timestamptz)`;

/**
 * Writes messages in the caller's transaction, so the state change and the message commit or
 * roll back together: the dual write becomes one local write.
 */
@Injectable()
export class OutboxService {
  private readonly topology: Topology;
  private readonly notifySql: string;
  private readonly maxPayloadBytes: number;

  constructor(@Inject(OUTBOX_OPTIONS) private readonly options: OutboxOptions) {
    this.topology = new Topology(options.topology);
    this.maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
    const channel = options.relay?.channel ?? DEFAULT_RELAY_OPTIONS.channel;
    // One round trip; NOTIFY is delivered on commit only (and dropped on rollback).
    this.notifySql = `WITH inserted AS (${INSERT} RETURNING 1) SELECT pg_notify('${channel}', '') FROM inserted`;
  }

  async add<P>(tx: SqlExecutor, contract: MessageContract<P>, payload: P, meta: MessageMeta): Promise<Envelope<P>> {
    // Never let a message the consumers would reject into the outbox: fail the transaction instead.
    const checked = contract.schema.parse(payload);
    const envelope: Envelope<P> = {
      id: meta.id ?? randomUUID(),
      type: contract.name,
      occurredAt: new Date().toISOString(),
      correlationId: meta.correlationId,
      causationId: meta.causationId ?? null,
      traceparent: meta.traceparent ?? null,
      payload: checked,
    };
    // A row the relay could never publish would only park: refuse it here, rolling the caller back.
    assertPublishable(envelope, this.maxPayloadBytes);
    const values = [
      envelope.id,
      this.topology.subject(contract),
      envelope.type,
      JSON.stringify(envelope.payload),
      JSON.stringify(envelope.traceparent ? { traceparent: envelope.traceparent } : {}),
      envelope.correlationId,
      envelope.causationId,
      envelope.occurredAt,
    ];
    // executeRaw, not queryRaw: pg_notify returns void, which Prisma cannot deserialize.
    await tx.$executeRawUnsafe(this.options.notify === false ? INSERT : this.notifySql, ...values);
    return envelope;
  }
}
