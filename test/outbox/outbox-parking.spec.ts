import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listParked, releaseParked, type OutboxRelay, type RelayLogger } from '@passo/outbox';
import { Pool } from 'pg';
import { Registry } from 'prom-client';
import { natsConnection, streamMessages } from '../support/nats';
import { eventually } from '../support/eventually';
import { freePort, isPortOpen, waitFor } from '../../tools/devstack/ports';
import { outboxFixture, ThingHappened, type OutboxFixture } from './fixtures/outbox-fixture';

const VALID_TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

/** A row written straight into the table, as a buggy writer (or an older release) could have. */
async function insertRow(f: OutboxFixture, row: { subject?: string; payload?: object; headers?: object }) {
  const id = randomUUID();
  await f.db.query(
    `INSERT INTO outbox_messages (id, subject, type, payload, headers, correlation_id)
     VALUES ($1, $2, 'ThingHappened', $3::jsonb, $4::jsonb, 'poison')`,
    [
      id,
      row.subject ?? f.topology.subject(ThingHappened),
      JSON.stringify(row.payload ?? { n: 1 }),
      JSON.stringify(row.headers ?? {}),
    ],
  );
  return id;
}

function capturingLogger() {
  const errors: string[] = [];
  const logger: RelayLogger = { log: () => undefined, warn: () => undefined, error: (line) => errors.push(line) };
  return { logger, errors };
}

const parkedRow = async (f: OutboxFixture, id: string) =>
  (
    await f.db.query<{ parked: boolean; published: boolean; last_error: string | null }>(
      `SELECT parked_at IS NOT NULL AS parked, published_at IS NOT NULL AS published, last_error
         FROM outbox_messages WHERE id = $1`,
      [id],
    )
  )[0];

describe('relay parks a row the broker can never take, and goes on (real PostgreSQL and JetStream)', () => {
  let f: OutboxFixture;
  beforeEach(async () => {
    f = await outboxFixture();
  });
  afterEach(() => f.close());

  const poison: [string, (f: OutboxFixture) => Parameters<typeof insertRow>[1], RegExp][] = [
    [
      'a traceparent header with CR/LF',
      () => ({ headers: { traceparent: `${VALID_TRACEPARENT}\r\nX-Injected: yes` } }),
      /header.*\\r and \\n are not allowed/,
    ],
    [
      "a payload above the server's max_payload",
      () => ({ payload: { n: 1, pad: 'x'.repeat(1_100_000) } }),
      /above the server's max_payload of \d+ bytes/,
    ],
    [
      'a subject no stream takes',
      (f) => ({ subject: `${f.topology.prefix}.nowhere.event.lost.v1` }),
      /no stream takes the subject t\w+\.nowhere\.event\.lost\.v1/,
    ],
  ];

  it.each(poison)('%s: parked with its error, counted, logged; the rows after it published', async (_, row, error) => {
    const registry = new Registry();
    const { logger, errors } = capturingLogger();
    const [first] = await f.commit(1, 0);
    const bad = await insertRow(f, row(f));
    const after = await f.commit(2, 2);
    f.relay({ registry }, logger).start();

    await eventually(async () => (await f.published()).length === 3);
    expect((await f.published()).map((m) => m.id)).toEqual([first, ...after]);
    await eventually(async () => (await parkedRow(f, bad))?.parked);
    expect(await parkedRow(f, bad)).toEqual({
      parked: true,
      published: false,
      last_error: expect.stringMatching(error),
    });

    // The broker has the three rows before the relay has marked them (on its second connection).
    const pendingNone = /passo_outbox_pending_messages\{relay="[^"]+"\} 0\n/;
    await eventually(async () => pendingNone.test(await registry.metrics()));
    const text = await registry.metrics();
    expect(text).toMatch(/passo_outbox_parked_total\{relay="[^"]+"\} 1\n/);
    expect(text).toMatch(/passo_outbox_parked_messages\{relay="[^"]+"\} 1\n/);
    expect(text).toMatch(pendingNone);
    expect(errors).toHaveLength(1);
    const subject = row(f).subject ?? f.topology.subject(ThingHappened);
    expect(errors[0]).toContain(`parked outbox row ${bad} (ThingHappened to ${subject}): `);
    expect(errors[0]).toMatch(error);
    expect(errors[0]).not.toMatch(/[\r\n]/);

    // Still parked a while later: not retried in a loop, and later rows still flow.
    const more = await f.commit(1, 9);
    await eventually(async () => (await f.published()).some((m) => m.id === more[0]));
    expect(await parkedRow(f, bad)).toMatchObject({ parked: true });
    expect(await registry.metrics()).toMatch(/passo_outbox_parked_total\{relay="[^"]+"\} 1\n/);
  });

  it('lists a parked row and publishes it once released (after the stream it needed was created)', async () => {
    const subject = `${f.topology.prefix}.later.event.thing-happened.v1`;
    const bad = await insertRow(f, { subject, payload: { n: 7 } });
    const [next] = await f.commit(1, 8);
    f.relay({ relay: { cleanupIntervalMs: 0, retentionMs: 0 } }).start();
    await eventually(async () => (await f.published()).some((m) => m.id === next));
    await eventually(async () => (await parkedRow(f, bad))?.parked);

    const pool = new Pool({ connectionString: f.db.url, max: 1 }).on('error', () => undefined); // see testDatabase
    const jsm = await (await natsConnection()).jetstreamManager();
    const stream = `${f.topology.prefix.toUpperCase()}_LATER`;
    try {
      const parked = await listParked(pool);
      expect(parked).toEqual([
        expect.objectContaining({
          id: bad,
          subject,
          type: 'ThingHappened',
          lastError: expect.stringMatching(/no stream/),
        }),
      ]);
      // Cleanup ran (retention 0: the published row is gone) and left the parked row alone.
      await eventually(async () => (await f.db.query('SELECT id FROM outbox_messages')).length === 1);

      await jsm.streams.add({ name: stream, subjects: [`${f.topology.prefix}.later.>`] });
      expect(await releaseParked(pool, [randomUUID()])).toEqual([]); // not parked: nothing released
      expect(await releaseParked(pool, [bad])).toEqual([bad]);
      await eventually(async () => (await streamMessages(stream)).length === 1);
      const [message] = await streamMessages<{ n: number }>(stream);
      expect(message).toMatchObject({ subject, msgId: bad, envelope: { id: bad, payload: { n: 7 } } });
      expect(await listParked(pool)).toEqual([]);
    } finally {
      await pool.end();
      await jsm.streams.delete(stream).catch(() => undefined);
    }
  });

  it('releases every parked row with "all", in order', async () => {
    const subject = `${f.topology.prefix}.nowhere.event.lost.v1`;
    const ids = [await insertRow(f, { subject }), await insertRow(f, { subject })];
    f.relay().start();
    await eventually(async () => (await Promise.all(ids.map((id) => parkedRow(f, id)))).every((r) => r.parked));
    const pool = new Pool({ connectionString: f.db.url, max: 1 }).on('error', () => undefined); // see testDatabase
    try {
      expect(await releaseParked(pool, 'all')).toEqual(ids);
      // Nothing was fixed: the relay parks them again, with their error.
      await eventually(async () => (await listParked(pool)).filter((row) => row.attempts === 2).length === 2);
    } finally {
      await pool.end();
    }
  });

  it('does not park while JetStream is down (no responders, yet a stream takes the subject): retried, then published', async () => {
    const port = await freePort();
    const store = mkdtempSync(join(tmpdir(), 'passo-js-'));
    let server: ChildProcess | undefined;
    let relay: OutboxRelay | undefined;
    const startServer = async (jetstream: boolean) => {
      const args = ['-a', '127.0.0.1', '-p', String(port), ...(jetstream ? ['-js', '-sd', store] : [])];
      server = spawn('nats-server', args, { stdio: 'ignore' });
      await waitFor('nats-server', () => isPortOpen(port), 10_000);
    };
    const stopServer = async () => {
      const exited = new Promise((done) => server?.once('exit', done));
      server?.kill();
      await exited;
    };
    const row = async (id: string) =>
      (
        await f.db.query<{ published: boolean; parked: boolean; attempts: number; last_error: string | null }>(
          `SELECT published_at IS NOT NULL AS published, parked_at IS NOT NULL AS parked, attempts, last_error
             FROM outbox_messages WHERE id = $1`,
          [id],
        )
      )[0];
    try {
      await startServer(true);
      relay = f.relay({ natsServers: `nats://127.0.0.1:${port}` });
      relay.start();
      const [first] = await f.commit(1);
      await eventually(async () => (await row(first)).published, 20_000);

      await stopServer();
      await startServer(false); // the same server, JetStream off: every JetStream request has no responders
      const [second] = await f.commit(1, 1);
      await eventually(async () => (await row(second)).attempts >= 2, 20_000);
      expect(await row(second)).toMatchObject({
        published: false,
        parked: false,
        last_error: expect.stringMatching(/503/),
      });

      await stopServer();
      await startServer(true);
      await eventually(async () => (await row(second)).published, 20_000);
      expect(await row(second)).toMatchObject({ parked: false });
    } finally {
      await relay?.stop();
      await stopServer();
      rmSync(store, { recursive: true, force: true });
    }
  });
});
