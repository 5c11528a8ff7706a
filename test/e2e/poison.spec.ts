import { randomUUID } from 'node:crypto';
import {
  ChargePayment,
  OrderPlaced,
  ReserveStock,
  type Envelope,
  type MessageContract,
  type SagaMode,
} from '@passo/contracts';
import { Topology } from '@passo/outbox';
import { deadLetterOf } from '../support/dead-letters';
import { natsConnection, publishAs } from '../support/nats';
import { TestSystem } from './system';

/**
 * Messages no participant may act on, sent by a client allowed on the bus (the operator): each is
 * dead-lettered at its first delivery with its reason, leaves nothing in any outbox, and the sagas
 * around it keep settling, in both modes.
 */
describe('poison messages on a running system', () => {
  const system = new TestSystem();
  let topology: Topology;
  const id = () => randomUUID().slice(0, 8);

  beforeAll(async () => {
    await system.start();
    topology = new Topology({ prefix: system.prefix });
  });
  afterAll(() => system.stop());

  const envelope = <P>(contract: MessageContract<P>, payload: P, extra: Partial<Envelope<P>> = {}): Envelope<P> => ({
    id: randomUUID(),
    type: contract.name,
    occurredAt: new Date().toISOString(),
    correlationId: (payload as { orderId: string }).orderId,
    causationId: null,
    traceparent: null,
    payload,
    ...extra,
  });

  /** Outbox rows any service wrote because of `causationId`, or about `orderId`. */
  const outboxRowsOf = async (causationId: string, orderId: string) => {
    const counts = await Promise.all(
      Object.values(system.dbs).map(
        async (db) =>
          (
            await db.query<{ n: number }>(
              'SELECT count(*)::int AS n FROM outbox_messages WHERE causation_id = $1 OR correlation_id = $2',
              [causationId, orderId],
            )
          )[0].n,
      ),
    );
    return counts.reduce((a, b) => a + b, 0);
  };

  const settlesNormally = async (mode: SagaMode) => {
    const [sku, customer] = [`BOOK-${id()}`, `ana-${id()}`];
    await system.product(sku, 1_000, 5);
    await system.wallet(customer, 10_000);
    const placed = await system.place(customer, [{ sku, quantity: 1 }], mode);
    expect((await system.settled([placed.id]))[0]).toMatchObject({ status: 'CONFIRMED', totalCents: 1_000 });
  };

  it.each<[string, () => Envelope<unknown>, MessageContract<unknown>, string[], RegExp]>([
    [
      'a ChargePayment whose traceparent holds CR/LF',
      () =>
        envelope(
          ChargePayment,
          { orderId: randomUUID(), sagaMode: 'orchestration', customerId: 'mallory', amountCents: 100 },
          { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\nX-Evil: 1' },
        ),
      ChargePayment as MessageContract<unknown>,
      ['payment-service'],
      /traceparent/,
    ],
    [
      'a ReserveStock with 51 lines, one more than an order may have',
      () =>
        envelope(ReserveStock, {
          orderId: randomUUID(),
          sagaMode: 'orchestration',
          customerId: 'mallory',
          items: Array.from({ length: 51 }, (_, i) => ({ sku: `SKU-${i}`, quantity: 1 })),
        }),
      ReserveStock as MessageContract<unknown>,
      ['inventory-service'],
      /items/,
    ],
    [
      'a ReserveStock with 10,000 lines',
      () =>
        envelope(ReserveStock, {
          orderId: randomUUID(),
          sagaMode: 'orchestration',
          customerId: 'mallory',
          items: Array.from({ length: 10_000 }, (_, i) => ({ sku: `SKU-${i}`, quantity: 1 })),
        }),
      ReserveStock as MessageContract<unknown>,
      ['inventory-service'],
      /bytes|items/,
    ],
    [
      'an oversize OrderPlaced (a 100 KB customer id)',
      () =>
        envelope(OrderPlaced, {
          orderId: randomUUID(),
          sagaMode: 'choreography',
          customerId: 'x'.repeat(100_000),
          items: [{ sku: 'BOOK', quantity: 1 }],
        }),
      OrderPlaced as MessageContract<unknown>,
      ['inventory-service', 'saga-orchestrator'],
      /bytes/,
    ],
  ])(
    'dead-letters %s at once, with its reason; nothing reaches an outbox',
    async (_name, make, contract, consumers, reason) => {
      const message = make();
      const ack = await publishAs(topology, contract, message);
      expect(ack.duplicate).toBe(false);
      const letter = await deadLetterOf(await (await natsConnection()).jetstreamManager(), topology, message.id);
      expect(consumers).toContain(letter.consumer);
      expect(letter.deliveryCount).toBe(1);
      expect(letter.error).toMatch(reason);
      // The sagas around it keep settling, in both modes; and the poison caused nothing anywhere.
      await settlesNormally('choreography');
      await settlesNormally('orchestration');
      expect(await outboxRowsOf(message.id, (message.payload as { orderId: string }).orderId)).toBe(0);
      // `npm run audit` (live deadlines) finds nothing wrong: the poison left no trace anywhere.
      expect(await system.audit()).toEqual([]);
    },
  );
});
