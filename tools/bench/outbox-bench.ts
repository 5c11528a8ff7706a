/**
 * `npm run bench:outbox` — measures the outbox relay on this machine against the raw ceilings of
 * the same work (plain inserts, plain JetStream async publish), and prints a table:
 *   1. relay throughput and the time to drain a 100,000-row backlog (one relay);
 *   2. end-to-end lag (outbox.add → consumer receives) p50/p99 at a fixed 2,000 events/s.
 * Writer, relay and consumer share this process, and PostgreSQL and NATS share the machine.
 * Figures are printed, never asserted (speed is measured, not tested).
 */
import { randomUUID } from 'node:crypto';
import { defineEvent } from '@passo/contracts';
import {
  natsConnectOptions,
  OutboxRelay,
  OutboxService,
  Topology,
  type NatsCredentials,
  type OutboxOptions,
  type SqlExecutor,
} from '@passo/outbox';
import { connect, type NatsConnection } from 'nats';
import { Client, Pool } from 'pg';
import { z } from 'zod';
import { ensureInfra } from '../devstack/infra';
import { migrate } from '../migrator/migrator';
import { dropDatabase, ensureDatabase, withDatabase } from '../devstack/pg-admin';

const BenchHappened = defineEvent('BenchHappened', 'bench.event.bench-happened.v1', z.object({ n: z.number().int() }));
const BACKLOG = Number(process.env.BENCH_BACKLOG ?? 100_000);
const LAG_RATE = Number(process.env.BENCH_RATE ?? 2_000);
const LAG_SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const quiet = { log: () => undefined, warn: (m: string) => console.warn(m), error: (m: string) => console.error(m) };
const log = (line: string) => console.log(`[bench] ${line}`);
/** The bench's streams are its own: it connects as the operator. */
let operator: NatsCredentials | undefined;

export async function main(): Promise<void> {
  const infra = await ensureInfra(log);
  const url = withDatabase(infra.adminUrl ?? infra.urls.ORDER_DATABASE_URL, `passo_bench_${Date.now().toString(36)}`);
  operator = infra.natsAdmin;
  const nats = await connect(natsConnectOptions(infra.urls.NATS_URL, 'passo-bench', operator));
  const rows: [string, string, string][] = [];
  try {
    await ensureDatabase(url);
    await migrate('order', url);
    rows.push(['plain INSERT (8 clients, 1 row per tx)', await insertCeiling(url), 'tx/s']);
    rows.push(['plain JetStream async publish (1 connection)', await publishCeiling(nats), 'msg/s']);
    const drain = await backlogDrain(url, infra.urls.NATS_URL, nats);
    rows.push([`relay throughput (one relay, ${BACKLOG.toLocaleString()} backlog)`, drain.rate, 'events/s']);
    rows.push([`time to drain ${BACKLOG.toLocaleString()} rows`, drain.seconds, 's']);
    // Measured after the drain, as in production: a relay runs warm (JIT-compiled), not cold.
    const lag = await endToEndLag(url, infra.urls.NATS_URL, nats);
    rows.push([`end-to-end lag p50 at ${LAG_RATE}/s (outbox.add → consumer)`, lag.p50, 'ms']);
    rows.push([`end-to-end lag p99 at ${LAG_RATE}/s`, lag.p99, 'ms']);
    rows.push([`  of which insert → commit, p50`, lag.commitP50, 'ms']);
    rows.push([`events delivered at ${LAG_RATE}/s (sent ${lag.sent})`, String(lag.received), 'events']);
  } finally {
    await nats.drain();
    await dropDatabase(url).catch(() => undefined);
    await infra.stop();
  }
  const width = Math.max(...rows.map(([name]) => name.length));
  console.log(`\n${'measure'.padEnd(width)} | value     | unit`);
  console.log(`${'-'.repeat(width)}-|-----------|---------`);
  for (const [name, value, unit] of rows) console.log(`${name.padEnd(width)} | ${value.padStart(9)} | ${unit}`);
}

/** The same INSERT the outbox does, without NOTIFY, 8 connections, for 5 s: what PostgreSQL allows. */
async function insertCeiling(url: string): Promise<string> {
  const topology = new Topology({ prefix: 'benchceil' });
  const outbox = new OutboxService({
    databaseUrl: url,
    natsServers: '',
    contracts: [],
    topology: { prefix: topology.prefix },
    notify: false,
  });
  const pool = new Pool({ connectionString: url, max: 8 });
  const until = Date.now() + 5_000;
  let count = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      const client = await pool.connect();
      const tx = executor(client);
      while (Date.now() < until) {
        await client.query('BEGIN');
        await outbox.add(tx, BenchHappened, { n: count }, { correlationId: 'ceiling' });
        await client.query('COMMIT');
        count++;
      }
      client.release();
    }),
  );
  // Leave the table as the next phase expects it: empty and vacuumed, not full of dead rows.
  await pool.query('TRUNCATE outbox_messages');
  await pool.end();
  return Math.round(count / 5).toLocaleString();
}

async function publishCeiling(nats: NatsConnection): Promise<string> {
  const topology = new Topology({ prefix: `benchpub${Date.now().toString(36)}` });
  const jsm = await nats.jetstreamManager();
  const { name, subjects } = topology.stream('bench');
  await jsm.streams.add({ name, subjects });
  const js = nats.jetstream();
  const total = 50_000;
  const body = JSON.stringify({ id: randomUUID(), payload: { n: 1 } });
  const started = performance.now();
  for (let sent = 0; sent < total; sent += 500) {
    await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        js.publish(topology.subject(BenchHappened), body, { msgID: `${sent + i}` }),
      ),
    );
  }
  const seconds = (performance.now() - started) / 1_000;
  await jsm.streams.delete(name);
  return Math.round(total / seconds).toLocaleString();
}

async function backlogDrain(url: string, natsUrl: string, nats: NatsConnection) {
  const topology = new Topology({ prefix: `benchdrain${Date.now().toString(36)}` });
  const admin = new Client({ connectionString: url });
  await admin.connect();
  log(`inserting a ${BACKLOG.toLocaleString()}-row backlog…`);
  await admin.query(
    `INSERT INTO outbox_messages (id, subject, type, payload, correlation_id)
     SELECT gen_random_uuid(), $1, 'BenchHappened', jsonb_build_object('n', g), 'backlog' FROM generate_series(1, $2) g`,
    [topology.subject(BenchHappened), BACKLOG],
  );
  const relay = new OutboxRelay(options(url, natsUrl, topology), quiet);
  const started = performance.now();
  relay.start();
  for (;;) {
    const { rows } = await admin.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM outbox_messages WHERE published_at IS NULL',
    );
    if (rows[0].n === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const seconds = (performance.now() - started) / 1_000;
  await relay.stop();
  // The next phase starts from a quiet database: empty table, no checkpoint of this phase's writes pending.
  await admin.query('TRUNCATE outbox_messages');
  await admin.query('CHECKPOINT');
  await admin.end();
  await (await nats.jetstreamManager()).streams.delete(topology.stream('bench').name);
  return { rate: Math.round(BACKLOG / seconds).toLocaleString(), seconds: seconds.toFixed(2) };
}

/** Writers call outbox.add (with NOTIFY) at a fixed rate; a consumer measures insert → receive. */
async function endToEndLag(url: string, natsUrl: string, nats: NatsConnection) {
  const topology = new Topology({ prefix: `benchlag${Date.now().toString(36)}` });
  const relay = new OutboxRelay(options(url, natsUrl, topology), quiet);
  relay.start();
  const outbox = new OutboxService(options(url, natsUrl, topology));
  const lags: number[] = [];
  const commits: number[] = [];
  const subscription = nats.subscribe(topology.subject(BenchHappened), {
    callback: (_error, message) => {
      const sentAt = (message.json() as { payload: { n: number } }).payload.n;
      lags.push(performance.timeOrigin + performance.now() - sentAt);
    },
  });
  await new Promise((r) => setTimeout(r, 500)); // relay active, stream created
  const pool = new Pool({ connectionString: url, max: 16 });
  const total = LAG_RATE * LAG_SECONDS;
  const started = performance.now();
  const writes: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1_000) / LAG_RATE;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    writes.push(
      (async () => {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          // The payload carries the insert time (ms since epoch) so the consumer can compute the lag.
          const insertedAt = Math.round(performance.timeOrigin + performance.now());
          await outbox.add(executor(client), BenchHappened, { n: insertedAt }, { correlationId: 'lag' });
          await client.query('COMMIT');
          commits.push(performance.timeOrigin + performance.now() - insertedAt);
        } finally {
          client.release();
        }
      })(),
    );
  }
  await Promise.all(writes);
  const deadline = Date.now() + 10_000;
  while (lags.length < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  subscription.unsubscribe();
  await relay.stop();
  await pool.end();
  await (await nats.jetstreamManager()).streams.delete(topology.stream('bench').name);
  const at = (values: number[], q: number) =>
    (values.sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))] ?? Number.NaN).toFixed(1);
  return { p50: at(lags, 0.5), p99: at(lags, 0.99), commitP50: at(commits, 0.5), sent: total, received: lags.length };
}

function options(url: string, natsUrl: string, topology: Topology): OutboxOptions {
  const batchSize = process.env.BENCH_BATCH ? Number(process.env.BENCH_BATCH) : undefined;
  return {
    databaseUrl: url,
    natsServers: natsUrl,
    natsCredentials: operator,
    contracts: [BenchHappened],
    topology: { prefix: topology.prefix },
    relay: { batchSize },
  };
}

function executor(client: {
  query(sql: string, values: unknown[]): Promise<{ rowCount: number | null }>;
}): SqlExecutor {
  return { $executeRawUnsafe: async (sql, ...values) => (await client.query(sql, values)).rowCount ?? 0 };
}
