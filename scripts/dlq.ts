/**
 * `npm run dlq -- list [--limit N] | show <seq> | replay <seq>` — inspect and replay the dead-letter
 * stream. NATS_URL (default nats://127.0.0.1:4222), PASSO_TOPOLOGY_PREFIX (default none); connects as
 * the operator (NATS_ADMIN_USER / NATS_ADMIN_PASSWORD, from the environment or the project's .env).
 */
import { connect, type NatsConnection } from 'nats';
import { Topology } from '../libs/outbox/src/jetstream/topology';
import { operatorNatsOptions } from './lib/nats-users';
import {
  getDeadLetter,
  listDeadLetters,
  replayDeadLetter,
  type DeadLetter,
} from '../libs/outbox/src/transport/dead-letters';

const USAGE = 'usage: npm run dlq -- list [--limit N] | show <seq> | replay <seq>';
const url = process.env.NATS_URL || 'nats://127.0.0.1:4222';
const topology = new Topology({ prefix: process.env.PASSO_TOPOLOGY_PREFIX ?? '' });

class UsageError extends Error {}

function positiveInt(text: string | undefined, what: string): number {
  const value = Number(text);
  if (!text || !Number.isInteger(value) || value < 1) throw new UsageError(`${what} must be a positive integer`);
  return value;
}

const clip = (text: string, width: number) => (text.length > width ? `${text.slice(0, width - 1)}…` : text);

function table(letters: DeadLetter[]): string {
  const rows = letters.map((l) => [
    String(l.seq),
    l.consumer,
    l.originalSubject,
    String(l.deliveryCount),
    l.deadLetteredAt,
    clip(l.error, 70),
  ]);
  const header = ['SEQ', 'CONSUMER', 'ORIGINAL SUBJECT', 'DELIVERIES', 'DEAD-LETTERED AT', 'ERROR'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  return [header, ...rows]
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function body(data: Uint8Array): string {
  const text = Buffer.from(data).toString('utf8');
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return `(not JSON, ${data.length} bytes, base64) ${Buffer.from(data).toString('base64')}`;
  }
}

async function run(nc: NatsConnection, [command, ...args]: string[]): Promise<void> {
  const jsm = await nc.jetstreamManager();
  const stream = topology.deadLetters().name;
  if (command === 'list') {
    const at = args.indexOf('--limit');
    const limit = at >= 0 ? positiveInt(args[at + 1], '--limit') : 20;
    const letters = await listDeadLetters(jsm, topology, { limit });
    console.log(letters.length ? table(letters) : `no dead letters in ${stream}`);
  } else if (command === 'show') {
    const letter = await getDeadLetter(jsm, topology, positiveInt(args[0], '<seq>'));
    console.log(`dead letter #${letter.seq} in ${stream}`);
    for (const [key, value] of Object.entries(letter.headers)) console.log(`${key}: ${value}`);
    console.log(`\n${body(letter.data)}`);
  } else if (command === 'replay') {
    const seq = positiveInt(args[0], '<seq>');
    const result = await replayDeadLetter(nc.jetstream(), jsm, topology, seq);
    const dup = result.duplicate ? ' (already republished earlier: the broker kept the first copy)' : '';
    console.log(`replayed #${seq} to ${result.subject} as ${result.msgId} (stream seq ${result.seq})${dup}`);
    console.log(`dead letter #${seq} deleted`);
  } else {
    throw new UsageError(`unknown command: ${command}`);
  }
}

async function main(argv: string[]): Promise<number> {
  if (!['list', 'show', 'replay'].includes(argv[0])) {
    console.error(argv[0] ? `[dlq] unknown command: ${argv[0]}` : '[dlq] no command given');
    console.error(USAGE);
    return 2;
  }
  let nc: NatsConnection;
  try {
    nc = await connect({ ...operatorNatsOptions(url, 'passo-dlq'), timeout: 3_000, maxReconnectAttempts: 0 });
  } catch (error) {
    console.error(`[dlq] cannot reach NATS at ${url} (${(error as Error).message}); is it running? set NATS_URL`);
    return 1;
  }
  try {
    await run(nc, argv);
    return 0;
  } catch (error) {
    console.error(`[dlq] ${(error as Error).message}`);
    if (error instanceof UsageError) console.error(USAGE);
    return error instanceof UsageError ? 2 : 1;
  } finally {
    await nc.close();
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code));
