import { randomUUID } from 'node:crypto';
import { joinUnitOfWork, OutboxRelay, OutboxRelayService, OutboxService, runInUnitOfWork } from '@passo/outbox';
import { Client as PgClient, type Client } from 'pg';
import { Pool } from 'pg';
import { RelayLeadership } from '../../libs/outbox/src/outbox/relay-leadership';
import { WakeUp } from '../../libs/outbox/src/outbox/relay-wake-up';
import { eventually } from '../support/eventually';
import { outboxFixture, type OutboxFixture, quietLogger, ThingHappened } from './fixtures/outbox-fixture';

/**
 * Rows committed in the relay's own process are published at once: no NOTIFY here, and a poll
 * interval of a minute, so only the in-process wake-up can publish them within the test's wait.
 */
describe('relay woken in-process', () => {
  let f: OutboxFixture;
  let outbox: OutboxService;
  let service: OutboxRelayService;

  beforeAll(async () => {
    f = await outboxFixture();
    const options = { ...f.options, notify: false, relay: { ...f.options.relay, pollIntervalMs: 60_000 } };
    outbox = new OutboxService(options);
    service = new OutboxRelayService(options, outbox);
    service.onApplicationBootstrap();
    await eventually(async () => service.relay!.active);
  });
  afterAll(async () => {
    await service?.onApplicationShutdown();
    await f?.close();
  });

  const publishedIds = async () => (await f.published()).map((m) => m.id);

  it('publishes a row written with addAlong without waiting for a poll', async () => {
    const key = `k-${randomUUID()}`;
    const statement = {
      ctes: `noted AS (INSERT INTO settings (key, value, updated_at) VALUES ($1, 'x', now()) RETURNING key)`,
      returning: 'noted',
      values: [key],
    };
    const { envelope } = await outbox.addAlong(f.prisma, statement, ThingHappened, { n: 1 }, { correlationId: key });
    await eventually(async () => (await publishedIds()).includes(envelope.id), 10_000);
  });

  it('publishes the rows of a unit of work once it commits', async () => {
    const envelope = await runInUnitOfWork(f.prisma, () =>
      joinUnitOfWork(f.prisma)!.step((tx) => outbox.add(tx, ThingHappened, { n: 2 }, { correlationId: 'c2' })),
    );
    await eventually(async () => (await publishedIds()).includes(envelope.id), 10_000);
  });
});

/**
 * A wake-up that comes while the relay is publishing (not sleeping) must still count: the next
 * sleep returns at once. Seen broken: a spent sleep's resolver, called by wake(), cleared the flag,
 * so the relay slept a whole poll interval (here a minute) and stop() waited as long.
 */
describe('relay woken while it publishes', () => {
  let f: OutboxFixture;
  let quiet: OutboxService;
  beforeAll(async () => {
    f = await outboxFixture();
    quiet = new OutboxService({ ...f.options, notify: false });
  });
  afterAll(() => f?.close());

  // Committed without a NOTIFY: one would wake the relay for a row before the test has set the
  // hook that row's round must run (seen: a round published the row first, and the test waited).
  const commit = (n: number) =>
    f.prisma.$transaction((tx) => quiet.add(tx, ThingHappened, { n }, { correlationId: `w${n}` }));
  const published = async (id: string) => (await f.published()).some((m) => m.id === id);

  it('publishes a row committed during a batch, and stops during a batch, without waiting for a poll', async () => {
    const during: Record<string, () => Promise<void>> = {};
    let stopping: Promise<void> | undefined;
    const options = { ...f.options, notify: false, relay: { ...f.options.relay, pollIntervalMs: 60_000 } };
    const relay: OutboxRelay = new OutboxRelay(options, quietLogger, {
      hooks: {
        beforeMark: async (ids) => {
          for (const id of ids) await during[id]?.();
        },
      },
    });
    relay.start();
    try {
      await eventually(() => relay.active);
      const first = await commit(1);
      relay.wake();
      await eventually(() => published(first.id), 10_000); // the relay then sleeps, woken by the next
      const second = await commit(2);
      let third: { id: string } | undefined;
      during[second.id] = async () => {
        third = await commit(3);
        relay.wake();
      };
      relay.wake();
      await eventually(async () => third !== undefined && (await published(third.id)), 10_000);
      const fourth = await commit(4);
      during[fourth.id] = async () => {
        stopping = relay.stop();
      };
      relay.wake();
      await eventually(() => stopping !== undefined, 10_000);
      const hung = new Promise<string>((resolve) => setTimeout(() => resolve('still running after 10 s'), 10_000));
      expect(await Promise.race([stopping!.then(() => 'stopped'), hung])).toBe('stopped');
    } finally {
      await (stopping ?? relay.stop());
    }
  });
});

/**
 * A relay that its own process's outbox wakes in-process ignores the NOTIFY of those same commits
 * (their payload is the outbox's notifyTag): acting on it again would cost a round that finds
 * nothing. Any other NOTIFY (another writer's, or a plain add in a caller's transaction) still wakes it.
 */
describe("relay leadership's NOTIFY listener", () => {
  let f: OutboxFixture;
  beforeAll(async () => {
    f = await outboxFixture();
  });
  afterAll(() => f?.close());

  it('wakes for every NOTIFY on its channel but those of the writers it ignores, in the order they come', async () => {
    const pool = new Pool({ connectionString: f.db.url, max: 2 });
    pool.on('error', () => undefined);
    const channel = `wake_${randomUUID().slice(0, 8)}`;
    let wakes = 0;
    const wakeUp = new (class extends WakeUp {
      override wake(): void {
        wakes++;
        super.wake();
      }
    })();
    const options = { lockKey: BigInt(Date.now()), pollIntervalMs: 60_000, channel, name: 'listener-test' };
    const leadership = new RelayLeadership(pool, options, quietLogger, wakeUp, () => true, new Set(['mine']));
    try {
      const session = (await leadership.acquire())!;
      const sentinel = new Promise<void>((seen) =>
        (session as unknown as Client).on('notification', (n) => n.payload === 'sentinel' && seen()),
      );
      for (const payload of ['mine', '', 'another-process', 'mine', 'sentinel'])
        await f.db.query('SELECT pg_notify($1, $2)', [channel, payload]);
      await sentinel; // delivered in order: every NOTIFY before it has been handled
      expect(wakes).toBe(3);
    } finally {
      leadership.release();
      await pool.end();
    }
  });
});

/**
 * A round marks what the round before it published with its own read: one statement per round
 * while the relay is busy, and a relay that then finds nothing to do still marks the last round
 * at once (within MARK_WITHIN_MS), not after its poll interval (a minute here).
 */
describe('relay marking a round with the next read', () => {
  let f: OutboxFixture;
  beforeAll(async () => {
    f = await outboxFixture();
  });
  afterAll(() => f?.close());

  it('sends no mark of its own while rows keep coming, and marks the last round without waiting for a poll', async () => {
    const ids = await f.commit(35);
    const sql: string[] = [];
    const query = PgClient.prototype.query;
    // Every statement of every pg client in this process: the relay's are the only ones meanwhile.
    const spy = jest.spyOn(PgClient.prototype, 'query').mockImplementation(function (
      this: PgClient,
      ...args: unknown[]
    ) {
      const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string } | undefined)?.text;
      if (text) sql.push(text.replace(/\s+/g, ' ').trim());
      return (query as (...a: unknown[]) => unknown).apply(this, args) as never;
    });
    const relay = f.relay({ notify: false, relay: { ...f.options.relay, batchSize: 10, pollIntervalMs: 60_000 } });
    try {
      relay.start();
      await eventually(async () => {
        const [{ n }] = await f.db.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM outbox_messages WHERE id = ANY($1) AND published_at IS NOT NULL',
          [ids],
        );
        return n === ids.length;
      }, 5_000);
    } finally {
      spy.mockRestore();
    }
    expect((await f.published()).map((m) => m.id)).toEqual(ids);
    const marksAlone = sql.filter((s) => /^UPDATE outbox_messages SET published_at/.test(s));
    const marksWithRead = sql.filter((s) => /^WITH marked AS \( ?UPDATE outbox_messages SET published_at/.test(s));
    expect(marksAlone).toEqual([]);
    expect(marksWithRead.length).toBeGreaterThanOrEqual(4); // rounds of 10, 10, 10 and 5, each marked by the next
  });
});

/** published_at is when the broker acked the row (the relay lag a user reads), not when the next round marked it. */
describe('relay stamping a published row', () => {
  let f: OutboxFixture;
  beforeAll(async () => {
    f = await outboxFixture();
  });
  afterAll(() => f?.close());

  it("stamps published_at with the broker's ack, not with the later mark", async () => {
    const [id] = await f.commit(1);
    let handedOverAt = 0;
    const options = { ...f.options, notify: false, relay: { ...f.options.relay, pollIntervalMs: 60_000 } };
    const relay = new OutboxRelay(options, quietLogger, {
      hooks: {
        // Acked by now; the mark that follows comes with the next round, held back here by 600 ms.
        beforeMark: async () => {
          handedOverAt = Date.now();
          await new Promise((resolve) => setTimeout(resolve, 600));
        },
      },
    });
    relay.start();
    try {
      relay.wake();
      const publishedAt = async () =>
        (await f.db.query<{ at: Date | null }>('SELECT published_at AS at FROM outbox_messages WHERE id = $1', [id]))[0]
          .at;
      await eventually(async () => (await publishedAt()) !== null, 10_000);
      const at = (await publishedAt())!.getTime();
      expect(at).toBeLessThanOrEqual(handedOverAt + 5); // the same machine's clock (ms resolution)
      expect(handedOverAt - at).toBeLessThan(1_000);
    } finally {
      await relay.stop();
    }
  });
});

/**
 * While the relay an outbox wakes in-process leads, that outbox's commits send no NOTIFY (only
 * relays of other processes would hear it, and none of them publishes meanwhile); the outbox of a
 * process whose relay stands by still notifies, so the leader elsewhere wakes.
 */
describe('NOTIFY only for a relay in another process', () => {
  let f: OutboxFixture;
  beforeAll(async () => {
    f = await outboxFixture();
  });
  afterAll(() => f?.close());

  it('skips the NOTIFY of a commit whose own relay leads, and keeps it for a process whose relay stands by', async () => {
    const channel = `skip_${randomUUID().slice(0, 8)}`;
    const options = { ...f.options, relay: { ...f.options.relay, channel, pollIntervalMs: 60_000 } };
    const listener = new PgClient({ connectionString: f.db.url });
    await listener.connect();
    const heard: string[] = [];
    listener.on('notification', (n) => heard.push(n.payload ?? ''));
    await listener.query(`LISTEN ${channel}`);
    /** What was heard before a fence NOTIFY sent now (notifications come in commit order). */
    const heardSoFar = async () => {
      const fence = `fence-${randomUUID()}`;
      await f.db.query(`SELECT pg_notify($1, $2)`, [channel, fence]);
      await eventually(() => heard.includes(fence));
      return heard.filter((payload) => !payload.startsWith('fence-'));
    };
    const leaderOutbox = new OutboxService(options);
    const leader = new OutboxRelayService(options, leaderOutbox);
    const standbyOutbox = new OutboxService(options);
    const standby = new OutboxRelayService(options, standbyOutbox);
    try {
      leader.onApplicationBootstrap();
      await eventually(() => leader.relay!.active);
      standby.onApplicationBootstrap(); // waits for the lock the leader holds
      const inUnit = (outbox: OutboxService, n: number) =>
        runInUnitOfWork(f.prisma, () =>
          joinUnitOfWork(f.prisma)!.step((tx) => outbox.add(tx, ThingHappened, { n }, { correlationId: `s${n}` })),
        );
      const mine = await inUnit(leaderOutbox, 1);
      await eventually(async () => (await f.published()).some((m) => m.id === mine.id), 10_000); // woken in-process
      expect(await heardSoFar()).toEqual([]);
      const theirs = await inUnit(standbyOutbox, 2);
      // The leader hears the standby's NOTIFY (its poll is a minute away) and publishes the row.
      await eventually(async () => (await f.published()).some((m) => m.id === theirs.id), 10_000);
      expect(await heardSoFar()).toEqual([standbyOutbox.notifyTag]);
    } finally {
      await standby.onApplicationShutdown();
      await leader.onApplicationShutdown();
      await listener.end();
    }
  });
});
