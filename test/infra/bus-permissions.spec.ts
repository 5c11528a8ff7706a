import { randomBytes, randomUUID } from 'node:crypto';
import {
  CancelOrder,
  ChargePayment,
  ConfirmOrder,
  OrderConfirmed,
  PaymentCompleted,
  RefundPayment,
  ReserveStock,
  StockReserved,
  type MessageContract,
} from '@passo/contracts';
import { ensureStreams, natsConnectOptions, Topology } from '@passo/outbox';
import { AckPolicy, connect, type JetStreamManager, type NatsConnection } from 'nats';
import { SERVICES, type ServiceSpec } from '../../tools/services/services';
import { testNatsUrl, testNatsUsersEnv } from '../support/databases';
import { isNoMessage, natsConnection } from '../support/nats';

type AppName = ServiceSpec['app'];

/**
 * The bus accepts only what each app may send (deploy/nats-server.conf), checked against the real
 * nats-server: a forged command or another context's event is refused by the server and never
 * stored; what an app needs (its events, its dead letters, its pull consumers) works.
 */
describe.each([
  ['without a topology prefix', ''],
  ['with a topology prefix', `t${randomBytes(4).toString('hex')}`],
])('the bus %s', (_, prefix) => {
  const topology = new Topology({ prefix });
  const contexts = ['orders', 'inventory', 'payments'];
  const clients = new Map<AppName, NatsConnection>();
  let jsm: JetStreamManager;

  /** Connects as the app's own user (its per-app variables, as the apps get them). */
  async function as(app: AppName): Promise<NatsConnection> {
    const spec = SERVICES.find((s) => s.app === app)!;
    const env = testNatsUsersEnv();
    const credentials = { user: env[spec.natsUserEnv], password: env[spec.natsPasswordEnv] };
    if (!clients.has(app))
      clients.set(app, await connect(natsConnectOptions(testNatsUrl(), `test-${app}`, credentials)));
    return clients.get(app)!;
  }

  /** The id in the body of the last message stored on a subject (read as the operator). */
  async function lastStoredId(subject: string, context: string): Promise<string | undefined> {
    const stream = context === 'dlq' ? topology.deadLetters().name : topology.stream(context).name;
    // Nothing stored on the subject reads as undefined; any other failure throws (absence is asserted on this).
    const last = await jsm.streams.getMessage(stream, { last_by_subj: subject }).catch((error: unknown) => {
      if (isNoMessage(error)) return undefined;
      throw error;
    });
    return last?.json<{ id: string }>().id;
  }

  /** A JetStream publish as the app; a stored message is removed again when the topology is shared. */
  async function publishAs(app: AppName, subject: string, context: string) {
    const id = randomUUID();
    const ack = await (await as(app)).jetstream().publish(subject, JSON.stringify({ id }), { msgID: id });
    expect(await lastStoredId(subject, context)).toBe(id);
    // Unprefixed subjects are a developer's running system's: leave nothing for its consumers.
    if (!prefix) await jsm.streams.deleteMessage(ack.stream, ack.seq);
    return ack;
  }

  beforeAll(async () => {
    jsm = await (await natsConnection()).jetstreamManager();
    await ensureStreams(jsm, topology, [OrderConfirmed, StockReserved, PaymentCompleted], { deadLetters: true });
  });
  afterAll(async () => {
    for (const client of clients.values()) await client.close();
    // A prefixed topology is this test's own; the unprefixed one may be a developer's: keep it.
    if (prefix) {
      for (const name of [...contexts.map((c) => topology.stream(c).name), topology.deadLetters().name]) {
        await jsm.streams.delete(name).catch(() => undefined);
      }
    }
  });

  it('refuses a client without credentials, and one with a wrong password', async () => {
    await expect(connect({ servers: testNatsUrl(), maxReconnectAttempts: 0 })).rejects.toMatchObject({
      code: 'AUTHORIZATION_VIOLATION',
    });
    const wrong = { user: 'saga-orchestrator', password: 'guessed' };
    await expect(connect(natsConnectOptions(testNatsUrl(), 'test', wrong))).rejects.toMatchObject({
      code: 'AUTHORIZATION_VIOLATION',
    });
  });

  it.each<{ app: AppName; contract: MessageContract }>([
    { app: 'payment-service', contract: ChargePayment },
    { app: 'payment-service', contract: RefundPayment },
    { app: 'inventory-service', contract: ConfirmOrder },
    { app: 'inventory-service', contract: ReserveStock },
    { app: 'order-service', contract: CancelOrder },
    { app: 'payment-service', contract: OrderConfirmed },
    { app: 'inventory-service', contract: PaymentCompleted },
    { app: 'saga-orchestrator', contract: StockReserved },
  ])('refuses $app publishing $contract.name: the server says so and stores nothing', async ({ app, contract }) => {
    const id = randomUUID();
    const subject = topology.subject(contract);
    const publish = (await as(app)).jetstream().publish(subject, JSON.stringify({ id }), { msgID: id });
    await expect(publish).rejects.toMatchObject({
      code: 'PERMISSIONS_VIOLATION',
      message: expect.stringContaining(`Permissions Violation for Publish to "${subject}"`),
    });
    expect(await lastStoredId(subject, contract.context)).not.toBe(id);
  });

  it.each<[AppName, MessageContract[]]>([
    ['order-service', [OrderConfirmed]],
    ['inventory-service', [StockReserved]],
    ['payment-service', [PaymentCompleted]],
    ['saga-orchestrator', [ConfirmOrder, ChargePayment, ReserveStock]],
  ])('lets %s publish what it owns, and its own dead letters only', async (app, contracts) => {
    for (const contract of contracts) {
      expect((await publishAs(app, topology.subject(contract), contract.context)).duplicate).toBe(false);
    }
    const own = topology.deadLetterSubject(app, topology.subject(contracts[0]));
    expect((await publishAs(app, own, 'dlq')).stream).toBe(topology.deadLetters().name);
    const other = SERVICES.find((s) => s.app !== app)!.app;
    const forged = (await as(app)).jetstream().publish(topology.deadLetterSubject(other, 'x.event.y.v1'), '{}');
    await expect(forged).rejects.toMatchObject({ code: 'PERMISSIONS_VIOLATION' });
  });

  // Registered only for the test's own (prefixed) streams: the unprefixed ones may be a developer's
  // running system's, and deleting a stream must not even be tried there.
  if (prefix)
    it('lets an app pull and ack its consumer, but not delete, purge or edit a stream', async () => {
      const nc = await as('payment-service');
      const appJsm = await nc.jetstreamManager();
      const stream = topology.stream('inventory').name;
      const durable = `payment-service__perm_${randomBytes(3).toString('hex')}`;
      await appJsm.consumers.add(stream, {
        durable_name: durable,
        filter_subject: topology.subject(StockReserved),
        ack_policy: AckPolicy.Explicit,
      });
      await publishAs('inventory-service', topology.subject(StockReserved), 'inventory');
      const fetched = await nc.jetstream().fetch(stream, durable, { batch: 100, expires: 1_000 });
      let count = 0;
      for await (const message of fetched) {
        count++;
        await message.ackAck();
      }
      expect(count).toBeGreaterThan(0);
      expect((await appJsm.consumers.info(stream, durable)).num_ack_pending).toBe(0);

      for (const destroy of [
        () => appJsm.streams.delete(stream),
        () => appJsm.streams.purge(stream),
        () => appJsm.streams.deleteMessage(stream, 1),
        () => appJsm.consumers.delete(stream, durable),
      ]) {
        await expect(destroy()).rejects.toMatchObject({ code: 'PERMISSIONS_VIOLATION' });
      }
      expect((await jsm.streams.info(stream)).state.messages).toBeGreaterThan(0);
      expect((await jsm.streams.info(stream)).config.subjects).toEqual(topology.stream('inventory').subjects);
      await jsm.consumers.delete(stream, durable); // the operator may
    });
});
