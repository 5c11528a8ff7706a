import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { OrderPlaced, type Envelope } from '@passo/contracts';
import { ensureStreams, listDeadLetters, Topology } from '@passo/outbox';
import { Client } from 'pg';
import { batchFixture, holdQueue, type BatchFixture } from './fixtures/batch-fixture';
import { COMMIT_GATE, COMMIT_GATE_DDL, HOLD_KEY, WAITERS_SQL } from './fixtures/batch-effects';
import type { ChildConfig } from './fixtures/batch-consumer-child';
import { testNatsAdmin, testNatsUrl } from '../support/databases';
import { spawnFixture } from '../support/fixture-child';
import { publishAs } from '../support/nats';
import { boot, jsm, orderPlaced, until } from '../support/transport-harness';

/**
 * A batch whose COMMIT never answers: its consumer killed (kill -9) while the COMMIT waits, or its
 * connection terminated. COMMIT_GATE holds every COMMIT that wrote an effect, deterministically:
 * the test sees the waiting backend in pg_locks, and decides what happens next.
 */
let f: BatchFixture;
let locks: Client;
beforeEach(async () => {
  f = await batchFixture();
  for (const sql of COMMIT_GATE_DDL) await f.db.query(sql);
  locks = new Client({ connectionString: f.db.url });
  await locks.connect();
});
afterEach(async () => {
  await locks.end();
  await f.close();
});

const lock = (key: number) => locks.query('SELECT pg_advisory_lock($1)', [key]);
const unlock = (key: number) => locks.query('SELECT pg_advisory_unlock($1)', [key]);
/** The one backend waiting for `key`, once there is one. */
const waiter = (key: number) =>
  until(async () => {
    const rows = await f.db.query<{ pid: number }>(WAITERS_SQL, [key]);
    return rows.length === 1 && rows[0].pid;
  });
const countBy = (ids: string[]) =>
  ids.reduce<Record<string, number>>((c, id) => ({ ...c, [id]: (c[id] ?? 0) + 1 }), {});
const applied = async () => countBy((await f.effects()).map((e) => e.messageId));
const once = (sent: Envelope[]) => Object.fromEntries(sent.map((e) => [e.id, 1]));

function runChild(config: ChildConfig) {
  const { child, exited, output } = spawnFixture(join(__dirname, 'fixtures', 'batch-consumer-child.ts'), {
    PASSO_BATCH_CHILD: JSON.stringify(config),
  });
  /** Transaction ids of the `handled` lines so far, by message id. */
  const handled = () => new Map([...output().matchAll(/^handled (\S+) (\d+)$/gm)].map((m) => [m[1], m[2]]));
  return { child, exited, output, handled };
}

describe('a batch killed mid-commit', () => {
  it.each([
    ['its COMMIT then completes without it', 'commits'],
    ['its COMMIT is then rolled back', 'rolls back'],
  ])('kill -9 of the consumer while %s: every effect once, every message acked in the end', async (_case, outcome) => {
    const topology = new Topology({ prefix: `t${randomUUID().slice(0, 8)}` });
    const config: ChildConfig = {
      ...{ databaseUrl: f.db.url, servers: testNatsUrl(), credentials: testNatsAdmin() },
      ...{ prefix: topology.prefix, consumer: `c-${randomUUID().slice(0, 8)}`, ackWaitMs: 1_000 },
    };
    const stream = topology.stream('orders').name;
    const durable = () => jsm.consumers.info(stream, topology.durable(config.consumer, OrderPlaced));
    await ensureStreams(jsm, topology, [OrderPlaced], { deadLetters: true });
    const children: Array<ReturnType<typeof runChild>> = [];
    try {
      await lock(COMMIT_GATE);
      await lock(HOLD_KEY);
      await publishAs(topology, OrderPlaced, orderPlaced({ customerId: 'hold' }));
      children.push(runChild(config));
      await waiter(HOLD_KEY); // the hold message's step waits: the queue is held
      const sent = Array.from({ length: 8 }, () => orderPlaced());
      for (const envelope of sent) await publishAs(topology, OrderPlaced, envelope);
      await until(async () => (await durable()).num_ack_pending === 9);
      await unlock(HOLD_KEY);
      const pid = await waiter(COMMIT_GATE); // the batch of 8 ran and waits in its COMMIT
      const [doomed] = children;
      const handled = await until(async () => doomed.handled().size === 8 && doomed.handled());
      expect([...handled.keys()].sort()).toEqual(sent.map((e) => e.id).sort());
      expect(new Set(handled.values()).size).toBe(1); // one transaction

      doomed.child.kill('SIGKILL');
      expect(await doomed.exited).toBe('SIGKILL');
      if (outcome === 'rolls back') await locks.query('SELECT pg_terminate_backend($1)', [pid]);
      await unlock(COMMIT_GATE);
      await until(async () => (await f.db.query(`SELECT 1 FROM pg_stat_activity WHERE pid = $1`, [pid])).length === 0);
      expect(await applied()).toEqual(outcome === 'commits' ? once(sent) : {});
      expect((await durable()).num_ack_pending).toBe(8); // committed or not, never acked

      children.push(runChild(config));
      await until(async () => {
        const info = await durable();
        return info.num_pending === 0 && info.num_ack_pending === 0;
      });
      expect(await applied()).toEqual(once(sent));
      expect(await listDeadLetters(jsm, topology)).toEqual([]);
    } finally {
      for (const { child, exited } of children) {
        child.kill('SIGKILL');
        await exited;
      }
      for (const name of [stream, topology.deadLetters().name]) await jsm.streams.delete(name).catch(() => undefined);
    }
  });

  it('naks the whole batch, uncounted, when its connection is terminated mid-commit; each message is then handled once', async () => {
    const hold = holdQueue(orderPlaced());
    const t = await boot(
      async (envelope) => {
        if (await hold.holds(envelope)) return;
        await f.handle(envelope);
      },
      // maxDeliver 1: a counted failure would dead-letter at once. A short ack wait: a redelivery the
      // broker sends to the pull request the pause has just closed is dropped by the client and only
      // comes back after the ack wait (PullLoop's pause, with or without batches).
      { ...f.options, maxDeliver: 1, ackWaitMs: 1_000 },
    );
    const sent = Array.from({ length: 5 }, () => orderPlaced());
    await lock(COMMIT_GATE);
    await hold.asOneBatch(t, 5, () => Promise.all(sent.map((e) => t.publish(e))));
    const pid = await waiter(COMMIT_GATE);
    await locks.query('SELECT pg_terminate_backend($1)', [pid]);
    await unlock(COMMIT_GATE);
    await t.settled();
    expect(await applied()).toEqual(once(sent));
    expect(await listDeadLetters(jsm, t.topology)).toEqual([]);
    expect(await f.metric('passo_consumer_batches_split_total', { consumer: t.consumer, class: 'transient' })).toBe(1);
    expect(await f.metric('passo_consumer_transient_failures_total', { consumer: t.consumer })).toBe(5);
  });
});
