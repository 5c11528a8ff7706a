import { randomUUID } from 'node:crypto';
import { MESSAGE_CONTRACTS, OrderPlaced, StockReserved } from '@passo/contracts';
import {
  buildDeadLetter,
  DeadLetterRefusedError,
  ensureStreams,
  listDeadLetters,
  replayDeadLetter,
  replayDeadLetters,
  Topology,
} from '@passo/outbox';
import { headers, type JetStreamManager } from 'nats';
import { runScript } from '../support/cli';
import { testNatsUrl, testNatsUsersEnv } from '../support/databases';
import { natsConnection, streamMessages } from '../support/nats';

const contracts = MESSAGE_CONTRACTS;

/** Files a dead letter as the transport does (same headers), for a message sent to `subject`. */
async function fileDeadLetter(topology: Topology, consumer: string, subject: string, error: string, extra = {}) {
  const id = randomUUID();
  const { msgId, headers: pairs } = buildDeadLetter({
    subject: topology.subject({ subject }),
    stream: 'X',
    streamSequence: 1,
    deliveryCount: 1,
    consumer,
    error: new Error(error),
    at: new Date(),
    originalHeaders: [['Nats-Msg-Id', id], ...Object.entries(extra)] as [string, string][],
  });
  const h = headers();
  for (const [key, value] of pairs) h.append(key, value);
  const js = (await natsConnection()).jetstream();
  await js.publish(topology.deadLetterSubject(consumer, subject), JSON.stringify({ id, payload: { n: 1 } }), {
    msgID: msgId,
    headers: h,
  });
  return id;
}

/** `npm run dlq -- …` as an operator would run it: the operator's NATS user (the bus refuses anonymous clients). */
const dlq = (topology: Topology, args: string[]) =>
  runScript('dlq', args, { ...testNatsUsersEnv(), NATS_URL: testNatsUrl(), PASSO_TOPOLOGY_PREFIX: topology.prefix });

describe('dead letters in bulk (real JetStream)', () => {
  let jsm: JetStreamManager;
  let topology: Topology;
  const remaining = async () => (await listDeadLetters(jsm, topology, { limit: 100 })).map((l) => l.originalMsgId);
  const replayedIds = async () =>
    [
      ...(await streamMessages<{ id: string }>(topology.stream('orders').name)),
      ...(await streamMessages<{ id: string }>(topology.stream('inventory').name)),
    ].map((m) => m.envelope.id);

  let ids: Record<'placedInv' | 'reservedPay' | 'reservedInv' | 'unknown', string>;
  beforeEach(async () => {
    jsm = await (await natsConnection()).jetstreamManager();
    topology = new Topology({ prefix: `t${randomUUID().slice(0, 8)}` });
    await ensureStreams(jsm, topology, [OrderPlaced, StockReserved], { deadLetters: true });
    ids = {
      placedInv: await fileDeadLetter(topology, 'inventory', OrderPlaced.subject, 'database timeout'),
      reservedPay: await fileDeadLetter(topology, 'payment', StockReserved.subject, 'invalid message: payload'),
      reservedInv: await fileDeadLetter(topology, 'inventory', StockReserved.subject, 'Database Timeout again'),
      unknown: await fileDeadLetter(topology, 'inventory', 'orders.event.order-shipped.v1', 'no handler'),
    };
  });
  afterEach(async () => {
    for (const context of ['orders', 'inventory']) await jsm.streams.delete(topology.stream(context).name);
    await jsm.streams.delete(topology.deadLetters().name);
  });

  it('--dry-run counts per consumer and subject, names what it would skip, and replays nothing', async () => {
    const report = await replayDeadLetters(jsm.jetstream(), jsm, topology, {}, { contracts, dryRun: true });
    expect(report.counts).toEqual([
      { consumer: 'inventory', subject: OrderPlaced.subject, count: 1 },
      { consumer: 'payment', subject: StockReserved.subject, count: 1 },
      { consumer: 'inventory', subject: StockReserved.subject, count: 1 },
    ]);
    expect(report.skipped).toEqual([
      expect.objectContaining({ consumer: 'inventory', subject: 'orders.event.order-shipped.v1' }),
    ]);
    expect(report.skipped[0].reason).toMatch(/orders\.event\.order-shipped\.v1 is no known contract's/);
    expect(report.replayed).toEqual([]);
    expect(await remaining()).toHaveLength(4);
    expect(await replayedIds()).toEqual([]);
  });

  it('--all replays every known-subject dead letter, oldest first, and leaves the unknown one', async () => {
    const report = await replayDeadLetters(jsm.jetstream(), jsm, topology, {}, { contracts });
    expect(report.replayed.map((r) => r.subject)).toEqual([
      topology.subject(OrderPlaced),
      topology.subject(StockReserved),
      topology.subject(StockReserved),
    ]);
    expect(await replayedIds()).toEqual([ids.placedInv, ids.reservedPay, ids.reservedInv]);
    expect(await remaining()).toEqual([ids.unknown]);
  });

  it.each([
    ['--consumer', { consumer: 'inventory' }, ['placedInv', 'reservedInv']],
    ['--subject without the prefix', { subject: StockReserved.subject }, ['reservedPay', 'reservedInv']],
    ['--error, a substring of any case', { error: 'database TIMEOUT' }, ['placedInv', 'reservedInv']],
    ['combined filters', { consumer: 'inventory', subject: StockReserved.subject }, ['reservedInv']],
  ] as const)('%s replays only the matching ones', async (_, filter, expected) => {
    const dry = await replayDeadLetters(jsm.jetstream(), jsm, topology, filter, { contracts, dryRun: true });
    expect(dry.counts.reduce((sum, c) => sum + c.count, 0)).toBe(expected.length);
    expect(await remaining()).toHaveLength(4);
    await replayDeadLetters(jsm.jetstream(), jsm, topology, filter, { contracts });
    expect((await replayedIds()).sort()).toEqual(expected.map((key) => ids[key]).sort());
    expect(await remaining()).toHaveLength(4 - expected.length);
  });

  it('--subject also takes the prefixed subject', async () => {
    const filter = { subject: topology.subject(OrderPlaced) };
    const report = await replayDeadLetters(jsm.jetstream(), jsm, topology, filter, { contracts });
    expect(report.replayed).toHaveLength(1);
    expect(await replayedIds()).toEqual([ids.placedInv]);
  });

  it('refuses a single replay to a subject no contract defines, and keeps the dead letter', async () => {
    const letter = (await listDeadLetters(jsm, topology)).find((l) => l.originalMsgId === ids.unknown)!;
    const refused = replayDeadLetter(jsm.jetstream(), jsm, topology, letter.seq, { contracts });
    await expect(refused).rejects.toBeInstanceOf(DeadLetterRefusedError);
    await expect(refused).rejects.toThrow(/order-shipped\.v1 is no known contract's/);
    expect(await remaining()).toContain(ids.unknown);
  });

  it('the CLI: dry run prints the counts, replay <seq> refuses an unknown subject, control characters stripped', async () => {
    await fileDeadLetter(topology, 'inventory', OrderPlaced.subject, 'evil \u001b[2J\u001b[31m red', {
      'X-Note': 'bell\u0007 and \u009b C1',
    });
    const dry = await dlq(topology, ['replay', '--consumer', 'inventory', '--dry-run']);
    expect(dry).toMatchObject({ code: 0 });
    expect(dry.out).toContain('dry run: would replay 3 dead letter(s), replayed none');
    expect(dry.out).toContain(`  2  inventory  ${OrderPlaced.subject}`);
    expect(dry.out).toContain(`  1  inventory  ${StockReserved.subject}`);
    expect(dry.out).toMatch(/would skip 1:\n {2}#4 {2}inventory {2}orders\.event\.order-shipped\.v1: /);
    expect(await remaining()).toHaveLength(5);

    const list = await dlq(topology, ['list']);
    expect(list.code).toBe(0);
    expect(list.out).toContain('evil');
    const shown = await dlq(topology, ['show', '5']);
    expect(shown.out).toContain('X-Note: bell  and   C1');
    // eslint-disable-next-line no-control-regex
    for (const output of [list.out, shown.out]) expect(output).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);

    const refused = await dlq(topology, ['replay', '4']);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(
      /dead letter #4 not replayed: its subject orders\.event\.order-shipped\.v1 is no known/,
    );

    const bad = await dlq(topology, ['replay', '--all', '--consumer', 'x']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('usage: npm run dlq');
  });
});
