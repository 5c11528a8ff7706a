import { Registry } from 'prom-client';
import { OutboxRelay } from '@passo/outbox';
import { relayCleanup } from '@passo/platform/outbox/app-outbox';
import { eventually } from '../support/eventually';
import { natsConnection } from '../support/nats';
import { outboxFixture, quietLogger, ThingHappened, type OutboxFixture } from './fixtures/outbox-fixture';

describe('outbox + relay (real PostgreSQL and JetStream)', () => {
  let f: OutboxFixture;
  beforeEach(async () => {
    f = await outboxFixture();
  });
  afterEach(() => f.close());

  it('delivers a committed message exactly once, with its row id as Nats-Msg-Id', async () => {
    f.relay().start();
    const [id] = await f.commit(1);
    await eventually(async () => (await f.published()).length === 1);
    expect(await f.published()).toEqual([{ id, n: 0, msgId: id }]);
    // Marked after the broker's ack, while the relay reads its next batch: not at once.
    const marked = () =>
      f.db.query<{ published: boolean }>('SELECT published_at IS NOT NULL AS published FROM outbox_messages');
    await eventually(async () => (await marked())[0]?.published);
    expect(await marked()).toEqual([{ published: true }]);
    expect(await f.published()).toHaveLength(1);
  });

  it('publishes nothing for a rolled-back transaction', async () => {
    f.relay().start();
    await expect(
      f.prisma.$transaction(async (tx) => {
        await f.outbox.add(tx, ThingHappened, { n: 1 }, { correlationId: 'c1' });
        throw new Error('business rule failed');
      }),
    ).rejects.toThrow('business rule failed');
    const [committed] = await f.commit(1, 2);
    await eventually(async () => (await f.published()).length === 1);
    expect((await f.published()).map((m) => m.id)).toEqual([committed]);
    expect(await f.db.query('SELECT count(*)::int AS n FROM outbox_messages')).toEqual([{ n: 1 }]);
  });

  it('refuses a payload its contract rejects, failing the transaction', async () => {
    await expect(
      f.prisma.$transaction((tx) => f.outbox.add(tx, ThingHappened, { n: 1.5 }, { correlationId: 'c' })),
    ).rejects.toThrow();
    expect(await f.db.query('SELECT count(*)::int AS n FROM outbox_messages')).toEqual([{ n: 0 }]);
  });

  it('publishes a backlog in commit order, in batches', async () => {
    await f.commit(120);
    f.relay({ relay: { batchSize: 25 } }).start();
    await eventually(async () => (await f.published()).length === 120);
    expect((await f.published()).map((m) => m.n)).toEqual([...Array(120).keys()]);
  });

  it('publishes a row committed after a later-sequenced one (sequence taken at insert, not commit)', async () => {
    f.relay().start();
    let releaseSlow!: () => void;
    let slowInserted!: () => void;
    const slowMayCommit = new Promise<void>((done) => (releaseSlow = done));
    const inserted = new Promise<void>((done) => (slowInserted = done));
    const slow = f.prisma.$transaction(
      async (tx) => {
        const envelope = await f.outbox.add(tx, ThingHappened, { n: 1 }, { correlationId: 'slow' });
        slowInserted();
        await slowMayCommit; // holds the lower sequence, uncommitted
        return envelope;
      },
      { timeout: 20_000 },
    );
    await inserted;
    const [fast] = await f.commit(1, 2);
    await eventually(async () => (await f.published()).some((m) => m.id === fast));
    releaseSlow();
    const { id: late } = await slow;
    await eventually(async () => (await f.published()).some((m) => m.id === late));
    expect((await f.published()).map((m) => m.n)).toEqual([2, 1]);
  });

  it('keeps order and loses nothing while NATS is unreachable, then catches up', async () => {
    const { freePort } = await import('../support/app-process');
    const { startNatsServer } = await import('./fixtures/nats-server');
    const port = await freePort();
    const retries: string[] = [];
    const relay = f.relay(
      { natsServers: `nats://127.0.0.1:${port}` },
      { ...quietLogger, warn: (line) => retries.push(line) },
    );
    relay.start();
    await f.commit(30);
    // Proof the relay ran with the rows committed and could not publish: a retry after the commits.
    const before = retries.length;
    await eventually(() => retries.length > before);
    expect(retries.at(-1)).toMatch(/retrying in \d+ ms/);
    expect(await f.db.query('SELECT count(*)::int AS n FROM outbox_messages WHERE published_at IS NULL')).toEqual([
      { n: 30 },
    ]);
    const server = await startNatsServer(port);
    try {
      await eventually(async () => (await server.stored(f.topology, 'things')).length === 30, 20_000);
      expect((await server.stored(f.topology, 'things')).map((m) => m.n)).toEqual([...Array(30).keys()]);
    } finally {
      await relay.stop();
      await server.stop();
    }
  });

  it('runs one active relay among several: no duplicates, order kept, takeover when it stops', async () => {
    // The stream cannot show a double publish (the row id dedups at the broker): count what reaches
    // the server on the subject instead. A plain subscriber gets every publish, duplicates too.
    const nc = await natsConnection();
    const wire = nc.subscribe(f.topology.subject(ThingHappened));
    const sent: string[] = [];
    void (async () => {
      for await (const message of wire) sent.push(message.headers?.get('Nats-Msg-Id') ?? '(no id)');
    })();
    const relays = [f.relay(), f.relay(), f.relay()];
    relays.forEach((relay) => relay.start());
    await eventually(() => relays.some((relay) => relay.active));
    await f.commit(40);
    await eventually(async () => (await f.published()).length === 40);
    expect(relays.filter((relay) => relay.active)).toHaveLength(1);
    const leader = relays.find((relay) => relay.active)!;
    await leader.stop();
    await f.commit(40, 40);
    await eventually(async () => (await f.published()).length === 80, 15_000);
    const published = await f.published();
    expect(published.map((m) => m.n)).toEqual([...Array(80).keys()]);
    expect(new Set(published.map((m) => m.id)).size).toBe(80);
    expect(relays.filter((relay) => relay.active)).toHaveLength(1);
    // Stopped, no relay can publish again; the flush's round trip comes back after every message
    // the server routed to this connection before it.
    await Promise.all(relays.map((relay) => relay.stop()));
    await nc.flush();
    wire.unsubscribe();
    expect(sent).toHaveLength(80);
    expect(new Set(sent)).toEqual(new Set(published.map((m) => m.id)));
  });

  it('cleans up published rows past the retention, leaving pending and recent ones', async () => {
    await f.commit(5);
    await f.db.query(
      `UPDATE outbox_messages SET published_at = now() - interval '2 days' WHERE id IN (SELECT id FROM outbox_messages ORDER BY sequence LIMIT 3)`,
    );
    const relay = f.relay({ relay: { cleanupIntervalMs: 0, cleanupBatchSize: 2, retentionMs: 24 * 3600_000 } });
    relay.start();
    await eventually(async () => (await f.published()).length === 2);
    await eventually(
      async () => (await f.db.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox_messages'))[0].n === 2,
    );
  });

  it('cleans up while rows keep coming (a relay that always has a round to mark still runs its cleanup)', async () => {
    let rounds = 0;
    let deletedWhileBusy = false;
    const countRows = async () =>
      (await f.db.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox_messages'))[0].n;
    // Each round commits the row the next round reads: the relay never has a round without rows
    // (nor one without rows to mark), for 60 rounds.
    const relay = new OutboxRelay(
      { ...f.options, relay: { ...f.options.relay, cleanupIntervalMs: 0, retentionMs: 0 } },
      quietLogger,
      {
        hooks: {
          beforeMark: async () => {
            if (++rounds > 60) return;
            await f.commit(1, rounds);
            if (rounds > 3 && (await countRows()) < rounds) deletedWhileBusy = true;
          },
        },
      },
    );
    await f.commit(1, 0);
    relay.start();
    try {
      await eventually(async () => rounds > 60, 20_000);
      expect(deletedWhileBusy).toBe(true);
    } finally {
      await relay.stop();
    }
  });

  it('publishes while a long cleanup runs: old rows are deleted beside the publishing, not before it', async () => {
    // 20,000 rows to delete 100 at a time with a pause after each: the cleanup takes 10 s at least.
    await f.db.query(
      `INSERT INTO outbox_messages (id, subject, type, payload, correlation_id, occurred_at, published_at)
       SELECT gen_random_uuid(), 'old', 'ThingHappened', '{}', 'old', now() - interval '3 days', now() - interval '3 days'
       FROM generate_series(1, 20000)`,
    );
    const oldRows = async () =>
      (await f.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbox_messages WHERE subject = 'old'`))[0].n;
    const relay = f.relay({ relay: { cleanupIntervalMs: 0, cleanupBatchSize: 100, retentionMs: 24 * 3600_000 } });
    relay.start();
    await eventually(async () => (await oldRows()) < 20_000, 10_000, 20);
    const [id] = await f.commit(1);
    await eventually(async () => (await f.published()).some((m) => m.id === id), 3_000, 20);
    expect(await oldRows()).toBeGreaterThan(0); // still deleting: it did not wait for the cleanup
    await relay.stop(); // ends the cleanup after its current batch
    const left = await oldRows();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await oldRows()).toBe(left);
  });

  it('cleans up inbox records past the retention, oldest first, keeping recent ones', async () => {
    await f.db.query(
      `INSERT INTO inbox_messages (consumer, message_id, subject, processed_at)
       SELECT 'c', gen_random_uuid(), 's', now() - (n * interval '1 day') FROM generate_series(0, 4) AS n`,
    );
    const relay = f.relay({ relay: { cleanupIntervalMs: 0, cleanupBatchSize: 2, retentionMs: 36 * 3600_000 } });
    relay.start();
    // Kept: today's and yesterday's (within 36 h); the three older ones go, two per statement.
    await eventually(
      async () => (await f.db.query<{ n: number }>('SELECT count(*)::int AS n FROM inbox_messages'))[0].n === 2,
    );
    const [{ oldest }] = await f.db.query<{ oldest: boolean }>(
      `SELECT min(processed_at) > now() - interval '36 hours' AS oldest FROM inbox_messages`,
    );
    expect(oldest).toBe(true);
  });

  it('with a short retention (OUTBOX_RETENTION_MS at its 60 s minimum) deletes rows as they expire, never parked or unpublished ones', async () => {
    const ago = (seconds: number) => `now() - interval '${seconds} seconds'`;
    const [gone, expiring, old] = await f.commit(3);
    await f.db.query(`UPDATE outbox_messages SET published_at = ${ago(120)} WHERE id = $1`, [gone]);
    await f.db.query(`UPDATE outbox_messages SET published_at = ${ago(50)} WHERE id = $1`, [expiring]);
    // Written two days ago and never published: its retention counts from its publication, still to come.
    await f.db.query(`UPDATE outbox_messages SET occurred_at = ${ago(172_800)} WHERE id = $1`, [old]);
    const [{ id: parked }] = await f.db.query<{ id: string }>(
      `INSERT INTO outbox_messages (id, subject, type, payload, correlation_id, occurred_at, parked_at, last_error)
       VALUES (gen_random_uuid(), 'nowhere', 'ThingHappened', '{}', 'p', ${ago(172_800)}, ${ago(172_800)}, 'no stream')
       RETURNING id::text`,
    );
    await f.db.query(
      `INSERT INTO inbox_messages (consumer, message_id, subject, processed_at)
       VALUES ('gone', gen_random_uuid(), 's', ${ago(120)}), ('expiring', gen_random_uuid(), 's', ${ago(50)}),
              ('recent', gen_random_uuid(), 's', now())`,
    );
    const outbox = async () =>
      (await f.db.query<{ id: string }>('SELECT id::text FROM outbox_messages')).map((r) => r.id).sort();
    const inbox = async () =>
      (await f.db.query<{ consumer: string }>('SELECT consumer FROM inbox_messages')).map((r) => r.consumer).sort();
    f.relay({ relay: relayCleanup(60_000) }).start(); // cleans up every 15 s

    // The first cleanup, at start: what is past the retention goes, what is 50 s old stays.
    await eventually(async () => !(await outbox()).includes(gone) && !(await inbox()).includes('gone'));
    expect(await outbox()).toEqual([expiring, old, parked].sort());
    expect(await inbox()).toEqual(['expiring', 'recent']);
    // A later one, within 30 s (a cleanup once a minute would not be due yet): what expired meanwhile goes.
    await eventually(async () => (await outbox()).length === 2 && (await inbox()).length === 1, 30_000, 250);
    expect(await outbox()).toEqual([old, parked].sort());
    expect(await inbox()).toEqual(['recent']);
    expect((await f.published()).map((m) => m.id)).toEqual([old]);
  });

  it('exposes backlog, lag and outcome metrics', async () => {
    const registry = new Registry();
    await f.commit(3);
    const text = async () => registry.metrics();
    const relay = f.relay({ registry });
    expect(await text()).toMatch(/passo_outbox_pending_messages\{relay="[^"]+"\} 3/);
    relay.start();
    await eventually(async () => /passo_outbox_published_total\{relay="[^"]+"\} 3/.test(await text()));
    expect(await text()).toMatch(/passo_outbox_pending_messages\{relay="[^"]+"\} 0/);
    expect(await text()).toMatch(/passo_outbox_publish_lag_seconds_count\{relay="[^"]+"\} 3/);
  });
});
