import { randomUUID } from 'node:crypto';
import { OrderPlaced } from '@passo/contracts';
import { ensureStreams, Topology } from '@passo/outbox';
import { ensureDurable } from '../../libs/outbox/src/jetstream/consumers';
import type { Consumer, FetchOptions, JsMsg } from 'nats';
import { PullLoop } from '../../libs/outbox/src/transport/pull-loop';
import { js, jsm, orderPlaced, until } from '../support/transport-harness';

/**
 * PullLoop on the real JetStream: how often a busy loop asks the broker for more. Every pull
 * request costs the client and the broker a request, a subscription and socket writes, so a loop
 * with all its slots taken asks again only once half of them are free — not once per freed slot.
 */
const open = { paused: false, resumed: () => Promise.resolve(), onPause: () => undefined };

describe('PullLoop', () => {
  it('asks for more only once half its slots are free, then for all the free ones, never for one message of four slots', async () => {
    const topology = new Topology({ prefix: `t${randomUUID().slice(0, 8)}` });
    const consumer = `pull-${randomUUID().slice(0, 8)}`;
    await ensureStreams(jsm, topology, [OrderPlaced]);
    await ensureDurable(jsm, topology, OrderPlaced, { consumer, ackWaitMs: 30_000, concurrency: 4 });
    const source = await js.consumers.get(topology.stream('orders').name, topology.durable(consumer, OrderPlaced));
    // The real consumer, its pull requests counted (what each asked for).
    const asked: number[] = [];
    const counted = new Proxy(source, {
      get: (target, key) =>
        key === 'fetch'
          ? (options: FetchOptions) => (asked.push(options.max_messages ?? 0), target.fetch(options))
          : Reflect.get(target, key),
    }) as Consumer;
    const held: Array<{ msg: JsMsg; release: () => void }> = [];
    const loop = new PullLoop(
      counted,
      4,
      (msg) =>
        new Promise<void>((resolve) =>
          held.push({
            msg,
            release: () => {
              msg.ack();
              resolve();
            },
          }),
        ),
      () => undefined,
      open,
    );
    for (let i = 0; i < 10; i++) await js.publish(topology.subject(OrderPlaced), JSON.stringify(orderPlaced()));
    loop.start();
    try {
      await until(async () => held.length === 4);
      held[0]!.release(); // three in flight, one slot free: not worth a pull request
      await until(async () => (await source.info()).num_ack_pending === 3);
      held[1]!.release(); // two free: ask for two
      await until(async () => held.length === 6);
      expect(asked).toEqual([4, 2]);
      for (const { release } of held.slice(2, 6)) release(); // four free (the loop may see two of them first)
      await until(async () => held.length === 10);
      for (const { release } of held.slice(6)) release();
      await until(async () => (await source.info()).num_ack_pending === 0);
      expect(Math.min(...asked)).toBeGreaterThanOrEqual(2); // never a pull request for one message
    } finally {
      await loop.stop(1_000);
      await jsm.streams.delete(topology.stream('orders').name).catch(() => undefined);
    }
  });
});
