import { randomUUID } from 'node:crypto';
import type { Envelope } from '@passo/contracts';
import { MessageRejectedError, OutboxService } from '@passo/outbox';
import { Client, type Notification } from 'pg';
import { batchFixture, holdQueue, type BatchFixture } from './fixtures/batch-fixture';
import { ThingHappened } from './fixtures/thing-happened';
import { testNatsUrl } from '../support/databases';
import { eventually } from '../support/eventually';
import { boot, orderPlaced } from '../support/transport-harness';

/**
 * In a batch, OutboxService.add defers its rows to one multi-row INSERT (and one NOTIFY) just
 * before the commit, in the statement that writes the batch's inbox records. Statement triggers
 * count the INSERTs and keep the client's statement that ran each; a LISTEN session sees the NOTIFYs.
 */
const COUNT_INSERTS = [
  'CREATE TABLE outbox_inserts (n serial PRIMARY KEY, rows int NOT NULL, query text NOT NULL)',
  'CREATE TABLE inbox_inserts (n serial PRIMARY KEY, rows int NOT NULL, query text NOT NULL)',
  `CREATE FUNCTION count_insert() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN EXECUTE format('INSERT INTO %I (rows, query) SELECT count(*), current_query() FROM added', TG_ARGV[0]);
   RETURN NULL; END $$`,
  `CREATE TRIGGER count_insert AFTER INSERT ON outbox_messages REFERENCING NEW TABLE AS added
   FOR EACH STATEMENT EXECUTE FUNCTION count_insert('outbox_inserts')`,
  `CREATE TRIGGER count_insert AFTER INSERT ON inbox_messages REFERENCING NEW TABLE AS added
   FOR EACH STATEMENT EXECUTE FUNCTION count_insert('inbox_inserts')`,
];

let f: BatchFixture;
let listener: Client;
let outbox: OutboxService;
let channel: string;
const notifications: Notification[] = [];
beforeEach(async () => {
  f = await batchFixture();
  for (const sql of COUNT_INSERTS) await f.db.query(sql);
  channel = `batch_${randomUUID().slice(0, 8)}`;
  outbox = new OutboxService({ databaseUrl: f.db.url, natsServers: testNatsUrl(), contracts: [], relay: { channel } });
  listener = new Client({ connectionString: f.db.url });
  await listener.connect();
  notifications.length = 0;
  listener.on('notification', (n) => notifications.push(n));
  await listener.query(`LISTEN ${channel}`);
});
afterEach(async () => {
  await listener.end();
  await f.close();
});

/** The notifications that arrived before one the test sends now (delivered in commit order). */
async function notifiedSoFar(): Promise<string[]> {
  await f.db.query(`SELECT pg_notify($1, 'fence')`, [channel]);
  await eventually(() => notifications.some((n) => n.payload === 'fence'));
  return notifications
    .splice(0)
    .map((n) => n.payload ?? '')
    .filter((payload) => payload !== 'fence');
}

const ordered = (correlationId: string) => ({ ...orderPlaced(), id: randomUUID(), correlationId });
/** The rows' numbers in the order they were added. */
const added: number[] = [];
/**
 * Each message adds two rows: numbered 10k and 10k+1 for the k-th message to begin its step (a
 * batch's orders run concurrently, so one message's adds may come between another's).
 */
function addsTwo(hold: ReturnType<typeof holdQueue>, fail?: Envelope) {
  let k = 0;
  added.length = 0;
  return async (envelope: Envelope) => {
    if (await hold.holds(envelope)) return;
    await f.handle(envelope, async (tx) => {
      const n = 10 * k++;
      for (const i of [n, n + 1]) {
        added.push(i);
        await outbox.add(tx, ThingHappened, { n: i }, { correlationId: envelope.correlationId });
      }
      if (envelope.id === fail?.id) throw new MessageRejectedError('refused after adding');
    });
  };
}

const rows = () =>
  f.db.query<{ n: number; correlationId: string }>(
    `SELECT (payload->>'n')::int AS n, correlation_id AS "correlationId" FROM outbox_messages ORDER BY sequence`,
  );
const inserts = async () =>
  (await f.db.query<{ rows: number }>('SELECT rows FROM outbox_inserts ORDER BY n')).map((r) => r.rows);
/** The statements the client sent that wrote outbox rows or inbox records, and how many of each. */
const writers = () =>
  f.db.query<{ query: string; outbox: number; inbox: number }>(
    `SELECT query, sum(outbox)::int AS outbox, sum(inbox)::int AS inbox FROM (
       SELECT query, rows AS outbox, 0 AS inbox FROM outbox_inserts
       UNION ALL SELECT query, 0, rows FROM inbox_inserts) AS w GROUP BY query`,
  );

describe('outbox inside a batch', () => {
  it("writes a batch's rows in one INSERT, in add order across its messages, notified once after the commit", async () => {
    const hold = holdQueue(orderPlaced());
    const t = await boot(addsTwo(hold), f.options);
    const sent = [ordered('order-c'), ordered('order-a'), ordered('order-b')];
    await hold.asOneBatch(t, 3, async () => {
      for (const envelope of sent) await t.publish(envelope);
    });
    await t.settled();
    expect(await inserts()).toEqual([6]);
    // The sequence follows the add order across the batch's messages (so each order's rows stay in its order).
    const written = await rows();
    expect(written.map((row) => row.n)).toEqual(added);
    expect(added.sort((x, y) => x - y)).toEqual([0, 1, 10, 11, 20, 21]);
    for (const order of ['order-a', 'order-b', 'order-c']) {
      const ns = written.filter((row) => row.correlationId === order).map((row) => row.n);
      expect([ns.length, ns[1]! - ns[0]!]).toEqual([2, 1]);
    }
    expect(await notifiedSoFar()).toEqual([outbox.notifyTag]); // its relay, woken in-process, ignores it
  });

  it("writes a batch's outbox rows and its inbox records with one statement, at the commit", async () => {
    const hold = holdQueue(orderPlaced());
    const t = await boot(addsTwo(hold), f.options);
    await hold.asOneBatch(t, 3, async () => {
      for (const order of ['order-a', 'order-b', 'order-c']) await t.publish(ordered(order));
    });
    await t.settled();
    // The holding message is a batch of its own before the three (an inbox record, no outbox row).
    const written = await writers();
    expect(written.map(({ outbox, inbox }) => ({ outbox, inbox }))).toEqual([{ outbox: 6, inbox: 3 }]);
    expect(written[0]!.query).toMatch(/INSERT INTO inbox_messages[\s\S]*INSERT INTO outbox_messages/);
  });

  it('writes no row, and notifies nothing, for a batch that rolled back: only the runs one by one commit theirs', async () => {
    const hold = holdQueue(orderPlaced());
    const [a, refused, c] = [ordered('order-a'), ordered('order-b'), ordered('order-c')];
    const t = await boot(addsTwo(hold, refused), f.options);
    await hold.asOneBatch(t, 3, () => Promise.all([a, refused, c].map((e) => t.publish(e))));
    await t.deadLetters(1);
    await t.settled();
    // In the batch the three added 0–21, then it failed and rolled back; alone, in turn, a, refused
    // (rolled back) and c added 30 and over: only those of a and c are written.
    const written = await rows();
    expect(written.map((row) => row.correlationId)).toEqual(['order-a', 'order-a', 'order-c', 'order-c']);
    expect(written.every((row) => row.n >= 30)).toBe(true);
    expect([written[1]!.n - written[0]!.n, written[3]!.n - written[2]!.n]).toEqual([1, 1]);
    // One by one, each message is a unit of work of its own (inUnitOfWork): its two rows in one INSERT.
    expect(await inserts()).toEqual([2, 2]);
    expect(await notifiedSoFar()).toEqual([outbox.notifyTag, outbox.notifyTag]); // one per committed transaction
  });
});
