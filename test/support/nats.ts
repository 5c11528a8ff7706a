import { OrderPlaced, type Envelope, type MessageContract } from '@passo/contracts';
import { Topology } from '@passo/outbox';
import { connect, type NatsConnection, type PubAck } from 'nats';
import { testNatsOptions } from './databases';
import { eventually } from './eventually';

let shared: Promise<NatsConnection> | undefined;

/** One connection per test file (as the operator), closed at exit. */
export function natsConnection(): Promise<NatsConnection> {
  shared ??= connect(testNatsOptions());
  return shared;
}

afterAll(async () => {
  if (shared) await (await shared).drain();
  shared = undefined;
});

/** Publishes as a relay does: msgID defaults to the envelope id (one id end to end). */
export async function publishAs<P>(
  topology: Topology,
  contract: MessageContract<P>,
  message: Envelope<P>,
  msgID = message.id,
): Promise<PubAck> {
  const js = (await natsConnection()).jetstream();
  return js.publish(topology.subject(contract), JSON.stringify(message), { msgID });
}

/** Until `consumer` has acknowledged the contract's stream up to `seq`: handled and committed, or ignored. */
export async function consumedUpTo(
  topology: Topology,
  consumer: string,
  contract: MessageContract,
  seq: number,
): Promise<void> {
  const jsm = await (await natsConnection()).jetstreamManager();
  await eventually(async () => {
    const durable = topology.durable(consumer, contract);
    const info = await jsm.consumers.info(topology.stream(contract.context).name, durable);
    return info.ack_floor.stream_seq >= seq;
  });
}

export interface StoredMessage<P> {
  envelope: Envelope<P>;
  msgId: string | undefined;
  seq: number;
}

/** The messages stored in a stream for one subject, in stream order (read without a consumer). */
export async function storedMessages<P>(stream: string, subject: string): Promise<StoredMessage<P>[]> {
  return (await streamMessages<P>(stream)).filter((m) => m.subject === subject);
}

/**
 * Every message stored in a stream, with its subject, in stream order. A failed read throws (a
 * missing stream included): an absence check must never pass on a read that did not happen. Only
 * a sequence the stream no longer holds (deleted inside the range) is skipped.
 */
export async function streamMessages<P>(stream: string): Promise<(StoredMessage<P> & { subject: string })[]> {
  const jsm = await (await natsConnection()).jetstreamManager();
  const info = await jsm.streams.info(stream);
  const found: (StoredMessage<P> & { subject: string })[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && seq > 0; seq++) {
    const message = await jsm.streams.getMessage(stream, { seq }).catch((error: unknown) => {
      if (isNoMessage(error)) return undefined;
      throw error;
    });
    if (!message) continue;
    // Tests also store garbage on purpose: keep it as text rather than fail the read.
    let envelope: Envelope<P>;
    try {
      envelope = message.json<Envelope<P>>();
    } catch {
      envelope = message.string() as unknown as Envelope<P>;
    }
    found.push({ envelope, msgId: message.header?.get('Nats-Msg-Id'), seq, subject: message.subject });
  }
  return found;
}

/** JetStream's "no message found" (API error 10037): nothing under that sequence or subject; the read itself worked. */
export function isNoMessage(error: unknown): boolean {
  const { api_error: api, message } = error as { api_error?: { err_code?: number }; message?: string };
  return api?.err_code === 10037 || /no message found/i.test(message ?? '');
}

export async function readOrderPlaced(
  prefix: string,
  orderId: string,
): Promise<StoredMessage<OrderPlaced> | undefined> {
  const topology = new Topology({ prefix });
  const messages = await storedMessages<OrderPlaced>(topology.stream('orders').name, topology.subject(OrderPlaced));
  return messages.find((m) => m.envelope.payload.orderId === orderId);
}
