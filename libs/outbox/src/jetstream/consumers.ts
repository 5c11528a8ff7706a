import type { MessageContract } from '@passo/contracts';
import { AckPolicy, DeliverPolicy, nanos, type ConsumerInfo, type JetStreamManager } from 'nats';
import type { Topology } from './topology';

export interface DurableSettings {
  consumer: string;
  ackWaitMs: number;
  concurrency: number;
}

/**
 * Creates the durable pull consumer of one consumer group for one contract, or updates its
 * settings; replicas starting together all succeed (the broker treats an equal add as a no-op, and
 * an add that changes updatable settings as an update: checked on nats-server 2.9.10 for the
 * max_deliver of durables created by earlier versions).
 */
export async function ensureDurable(
  jsm: JetStreamManager,
  topology: Topology,
  contract: MessageContract,
  { consumer, ackWaitMs, concurrency }: DurableSettings,
): Promise<ConsumerInfo> {
  return jsm.consumers.add(topology.stream(contract.context).name, {
    durable_name: topology.durable(consumer, contract),
    filter_subject: topology.subject(contract),
    deliver_policy: DeliverPolicy.All,
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(ackWaitMs),
    // Unlimited: the broker counts every delivery, transient failures included, and those must
    // never exhaust a message. The transport counts the failures that matter and dead-letters
    // itself (message-processor.ts).
    max_deliver: -1,
    // Naked messages waiting out their backoff count as pending acks: leave room for them.
    max_ack_pending: Math.max(1_000, concurrency * 4),
  });
}
