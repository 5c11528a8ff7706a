import type { MessageContract } from '@passo/contracts';
import type { Registry } from 'prom-client';
import type { TopologyOptions } from '../jetstream/topology';
import type { Lab } from '../lab/lab';
import type { NatsCredentials } from '../nats/nats-connect';

export interface RelayOptions {
  /** Rows read and published per round trip (pipelined publishes, one UPDATE). */
  batchSize: number;
  /** Polling fallback when a notification is missed (the bound: at most 250 ms). */
  pollIntervalMs: number;
  /** Session advisory lock key: one active relay per database. */
  lockKey: bigint;
  /** Published rows and inbox records older than this are deleted, checked every `cleanupIntervalMs`. */
  retentionMs: number;
  cleanupIntervalMs: number;
  cleanupBatchSize: number;
  /** Retry delays while NATS (or the database) fails: exponential with jitter between these. */
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** How long a publish waits for the broker's ack. */
  publishTimeoutMs: number;
  /** LISTEN channel the outbox writes NOTIFY on. */
  channel: string;
  /** Name in logs and metrics labels. */
  name: string;
}

export interface OutboxOptions {
  /** The service's PostgreSQL URL: the relay keeps its own session (LISTEN + advisory lock). */
  databaseUrl: string;
  natsServers: string | readonly string[];
  /** The app's NATS user: the relay publishes the app's own events only. */
  natsCredentials?: NatsCredentials;
  /** Contracts this app publishes: their streams are created at start. */
  contracts: readonly MessageContract[];
  topology?: TopologyOptions;
  relay?: Partial<RelayOptions> & { enabled?: boolean };
  /** NOTIFY the relay(s) on every add (cross-process wake-up); the poll covers it when off. */
  notify?: boolean;
  /**
   * Largest message body `add` accepts (default 64 KiB, the consumers' `maxMessageBytes`): bigger
   * ones throw UnpublishableMessageError in the caller's transaction instead of parking later.
   */
  maxPayloadBytes?: number;
  /** Where the outbox's metrics are registered (prom-client). */
  registry?: Registry;
  /** The dual-write lab (PASSO_LAB=on only): its delivery, inbox switch and faults. */
  lab?: Lab;
}

export const DEFAULT_RELAY_OPTIONS: RelayOptions = {
  batchSize: 2_000,
  pollIntervalMs: 250,
  lockKey: 0x7061_7373_6f6f_7574n, // "passoout"
  retentionMs: 24 * 60 * 60_000,
  cleanupIntervalMs: 60_000,
  cleanupBatchSize: 1_000,
  backoffInitialMs: 100,
  backoffMaxMs: 10_000,
  publishTimeoutMs: 5_000,
  channel: 'passo_outbox',
  name: 'outbox-relay',
};

export const OUTBOX_OPTIONS = Symbol('OUTBOX_OPTIONS');
