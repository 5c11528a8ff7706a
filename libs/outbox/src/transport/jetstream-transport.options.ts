import type { LoggerService } from '@nestjs/common';
import type { Envelope, MessageContract } from '@passo/contracts';
import type { Registry } from 'prom-client';
import { Topology, type TopologyOptions } from '../jetstream/topology';
// The outbox writes nothing bigger than this by default, so consumers take what producers may send.
import { DEFAULT_MAX_PAYLOAD_BYTES } from '../outbox/publishable';
import type { Lab } from '../lab/lab';
import type { NatsCredentials } from '../nats/nats-connect';
import { DEFAULT_BACKOFF_MS, DEFAULT_TRANSIENT_BACKOFF, type TransientBackoff } from './nak-delays';

export interface JetStreamTransportOptions {
  servers: string | string[];
  /** The app's NATS user (the bus refuses anonymous clients). */
  credentials?: NatsCredentials;
  /** Durable consumer group, e.g. `inventory-service`: replicas sharing it share the work. */
  consumer: string;
  /** The contracts this app consumes; every handler pattern must be one of their subjects. */
  contracts: readonly MessageContract[];
  topology?: TopologyOptions;
  /**
   * Failures before a failing message is dead-lettered (1..100, default 5). Only unknown errors
   * count: transient (infrastructure) failures are retried without limit, a MessageRejectedError
   * dead-letters at once.
   */
  maxDeliver?: number;
  /** Nak delay per counted failure (the last one repeats), ±20% jitter. */
  backoffMs?: readonly number[];
  /**
   * Nak delay after a transient failure, and the probe's retry schedule while paused: `initialMs`
   * (default 500) doubling to `maxMs` (default 20 s), jittered down by up to 20%.
   */
  transientBackoff?: Partial<TransientBackoff>;
  /**
   * Checks the dependency whose outage paused consumption (the app's database: `SELECT 1`); the
   * consumer group resumes pulling once it resolves. Without one a pause lasts one backoff delay.
   */
  probe?: () => Promise<unknown>;
  /** How long one probe may take before it counts as failed (default 5 s). */
  probeTimeoutMs?: number;
  /** A message body larger than this is dead-lettered unread (default 64 KiB). */
  maxMessageBytes?: number;
  /** Where the transport's metrics are registered (prom-client); none: not exported. */
  registry?: Registry;
  /** How long the broker waits for an ack before redelivering (default 30 s). */
  ackWaitMs?: number;
  /** In-flight messages per durable consumer (default 16). */
  concurrency?: number;
  /** How long close() waits for in-flight handlers (default 10 s). */
  closeTimeoutMs?: number;
  /**
   * Runs a batch of messages in one database transaction (`runInUnitOfWork(prisma, work, { batch: true })`): the
   * app's messages, from every durable, are then handled in batches of up to `batchSize`, one
   * transaction and one round of acks per batch. Without it each message runs on its own,
   * `concurrency` at a time per durable.
   */
  unitOfWork?: UnitOfWorkRunner;
  /** Most messages in one unit of work (default 64). */
  batchSize?: number;
  /**
   * How long the ack of a message its handler is not for (@OnMessage's `only`) may wait, so that
   * those arriving one by one are acked many to a write (default 20 ms; 0 acks each at once).
   * Such a message waits on nothing; close() sends the acks still waiting.
   */
  skippedAckDelayMs?: number;
  logger?: LoggerService;
  /** The dual-write lab (PASSO_LAB=on only): its `redeliver` fault withholds acks. */
  lab?: Lab;
}

/**
 * Runs `work` inside one transaction that the inbox and outbox join (see unit-of-work.ts), for the
 * batch's `messages` (pass them on as `runInUnitOfWork`'s `messages`).
 */
export type UnitOfWorkRunner = (work: () => Promise<void>, messages: readonly Envelope[]) => Promise<void>;

export interface ResolvedTransportOptions {
  servers: string[];
  credentials?: NatsCredentials;
  consumer: string;
  contracts: readonly MessageContract[];
  topology: Topology;
  maxDeliver: number;
  backoffMs: readonly number[];
  transientBackoff: TransientBackoff;
  probe?: () => Promise<unknown>;
  probeTimeoutMs: number;
  maxMessageBytes: number;
  registry?: Registry;
  ackWaitMs: number;
  concurrency: number;
  closeTimeoutMs: number;
  unitOfWork?: UnitOfWorkRunner;
  batchSize: number;
  skippedAckDelayMs: number;
  lab?: Lab;
}

/** Consumer names become subject tokens and durable names: no dots, wildcards or spaces. */
const CONSUMER_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/** Applies defaults and refuses bad values at construction, naming the option. */
export function resolveTransportOptions(options: JetStreamTransportOptions): ResolvedTransportOptions {
  const servers = (Array.isArray(options.servers) ? options.servers : [options.servers]).filter(Boolean);
  if (servers.length === 0) throw new Error('JetStreamTransport: servers must name at least one NATS URL');
  if (!CONSUMER_NAME.test(options.consumer ?? '')) {
    throw new Error(`JetStreamTransport: consumer "${options.consumer}" must match ${CONSUMER_NAME}`);
  }
  if (!options.contracts?.length) throw new Error('JetStreamTransport: contracts must list what this app consumes');
  const backoffMs = options.backoffMs ?? DEFAULT_BACKOFF_MS;
  if (backoffMs.length === 0 || backoffMs.some((ms) => !Number.isFinite(ms) || ms < 0)) {
    throw new Error('JetStreamTransport: backoffMs must be a non-empty list of delays >= 0');
  }
  if (options.unitOfWork !== undefined && typeof options.unitOfWork !== 'function') {
    throw new Error('JetStreamTransport: unitOfWork must be a function running its argument in a transaction');
  }
  if (options.probe !== undefined && typeof options.probe !== 'function') {
    throw new Error('JetStreamTransport: probe must be a function returning a promise');
  }
  const initialMs = integer(
    'transientBackoff.initialMs',
    options.transientBackoff?.initialMs ?? DEFAULT_TRANSIENT_BACKOFF.initialMs,
    1,
    60_000,
  );
  const maxMs = integer(
    'transientBackoff.maxMs',
    options.transientBackoff?.maxMs ?? Math.max(DEFAULT_TRANSIENT_BACKOFF.maxMs, initialMs),
    initialMs,
    600_000,
  );
  return {
    servers,
    credentials: options.credentials,
    consumer: options.consumer,
    contracts: options.contracts,
    topology: new Topology(options.topology),
    maxDeliver: integer('maxDeliver', options.maxDeliver ?? 5, 1, 100),
    backoffMs,
    transientBackoff: { initialMs, maxMs },
    probe: options.probe,
    probeTimeoutMs: integer('probeTimeoutMs', options.probeTimeoutMs ?? 5_000, 1, 600_000),
    // NATS's own max_payload tops out at 64 MiB.
    maxMessageBytes: integer(
      'maxMessageBytes',
      options.maxMessageBytes ?? DEFAULT_MAX_PAYLOAD_BYTES,
      1,
      64 * 1024 * 1024,
    ),
    registry: options.registry,
    // The broker's minimum useful ack wait is about a second; working() heartbeats at a third of it.
    ackWaitMs: integer('ackWaitMs', options.ackWaitMs ?? 30_000, 1_000, 12 * 3_600_000),
    concurrency: integer('concurrency', options.concurrency ?? 16, 1, 1_000),
    closeTimeoutMs: integer('closeTimeoutMs', options.closeTimeoutMs ?? 10_000, 0, 600_000),
    unitOfWork: options.unitOfWork,
    batchSize: integer('batchSize', options.batchSize ?? 64, 1, 1_000),
    // Well below any ack wait (≥ 1 s): a waiting ack is never close to a redelivery.
    skippedAckDelayMs: integer('skippedAckDelayMs', options.skippedAckDelayMs ?? 20, 0, 500),
    lab: options.lab,
  };
}

function integer(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`JetStreamTransport: ${name} must be an integer in ${min}..${max}, got ${value}`);
  }
  return value;
}
