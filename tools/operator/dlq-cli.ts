/**
 * `npm run dlq -- list [--limit N] | show <seq> | replay <seq>` — inspect and replay the dead-letter
 * stream; `replay --all | --consumer C | --subject S | --error TEXT [--dry-run]` replays in bulk
 * (filters combine; --dry-run only counts). A dead letter is replayed only to the subject of a
 * contract of libs/contracts. NATS_URL (default nats://127.0.0.1:4222), PASSO_TOPOLOGY_PREFIX
 * (default none); connects as the operator (NATS_ADMIN_USER / NATS_ADMIN_PASSWORD, from the
 * environment or the project's .env).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { connect, type NatsConnection } from 'nats';
import { MESSAGE_CONTRACTS } from '../../libs/contracts/src/messaging/catalogue';
import { Topology } from '../../libs/outbox/src/jetstream/topology';
import { printable } from '../../libs/outbox/src/printable';
import { operatorNatsOptions } from '../devstack/nats-users';
import { ROOT } from '../devstack/paths';
import {
  DeadLetterRefusedError,
  getDeadLetter,
  listDeadLetters,
  replayDeadLetter,
  type DeadLetter,
} from '../../libs/outbox/src/transport/dead-letter-admin';
import {
  replayDeadLetters,
  type BulkReplayReport,
  type DeadLetterFilter,
} from '../../libs/outbox/src/transport/dead-letter-bulk-replay';

const USAGE = [
  'usage: npm run dlq -- list [--limit N] | show <seq> | replay <seq>',
  '       npm run dlq -- replay --all | [--consumer C] [--subject S] [--error TEXT]  [--dry-run]',
  '  filters combine; --subject with or without the topology prefix; --error: part of the error, any case',
].join('\n');
// Like the apps: the real environment first, then the project's .env (`npm run infra` writes it).
if (existsSync(join(ROOT, '.env'))) process.loadEnvFile(join(ROOT, '.env'));
const url = process.env.NATS_URL || 'nats://127.0.0.1:4222';
const topology = new Topology({ prefix: process.env.PASSO_TOPOLOGY_PREFIX ?? '' });

class UsageError extends Error {}

function positiveInt(text: string | undefined, what: string): number {
  const value = Number(text);
  if (!text || !Number.isInteger(value) || value < 1) throw new UsageError(`${what} must be a positive integer`);
  return value;
}

const clip = (text: string, width: number) => (text.length > width ? `${text.slice(0, width - 1)}…` : text);

/** Printed one line at a time: nothing a message carries can move the cursor or fake a line. */
const say = (text: string) => console.log(text.split('\n').map(printable).join('\n'));

function table(letters: DeadLetter[]): string {
  const rows = letters.map((l) =>
    [String(l.seq), l.consumer, l.originalSubject, String(l.deliveryCount), l.deadLetteredAt, clip(l.error, 70)].map(
      printable,
    ),
  );
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

function bulkReport({ counts, skipped, dryRun }: BulkReplayReport): string {
  const total = counts.reduce((sum, c) => sum + c.count, 0);
  const lines = [
    dryRun ? `dry run: would replay ${total} dead letter(s), replayed none` : `replayed ${total} dead letter(s)`,
  ];
  for (const c of counts) lines.push(`  ${c.count}  ${c.consumer}  ${c.subject}`);
  if (skipped.length > 0) lines.push(`${dryRun ? 'would skip' : 'skipped'} ${skipped.length}:`);
  for (const k of skipped) lines.push(`  #${k.seq}  ${k.consumer}  ${k.subject}: ${k.reason}`);
  return lines.join('\n');
}

function bulkFilter(args: string[]): { filter: DeadLetterFilter; dryRun: boolean; seq?: number } {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      all: { type: 'boolean' },
      consumer: { type: 'string' },
      subject: { type: 'string' },
      error: { type: 'string' },
      'dry-run': { type: 'boolean' },
    },
  });
  const filter: DeadLetterFilter = { consumer: values.consumer, subject: values.subject, error: values.error };
  const filtered = Object.values(filter).some((value) => value !== undefined);
  const dryRun = values['dry-run'] ?? false;
  if (positionals.length > 0) {
    if (positionals.length > 1 || filtered || values.all || dryRun) {
      throw new UsageError('replay takes one <seq>, or --all / filters (with --dry-run), not both');
    }
    return { filter, dryRun, seq: positiveInt(positionals[0], '<seq>') };
  }
  if (!filtered && !values.all) throw new UsageError('replay needs a <seq>, --all or a filter');
  if (filtered && values.all) throw new UsageError('--all takes no filter');
  return { filter, dryRun };
}

async function run(nc: NatsConnection, [command, ...args]: string[]): Promise<number> {
  const jsm = await nc.jetstreamManager();
  const stream = topology.deadLetters().name;
  const contracts = MESSAGE_CONTRACTS;
  if (command === 'list') {
    const at = args.indexOf('--limit');
    const limit = at >= 0 ? positiveInt(args[at + 1], '--limit') : 20;
    const letters = await listDeadLetters(jsm, topology, { limit });
    say(letters.length ? table(letters) : `no dead letters in ${stream}`);
  } else if (command === 'show') {
    const letter = await getDeadLetter(jsm, topology, positiveInt(args[0], '<seq>'));
    say(`dead letter #${letter.seq} in ${stream}`);
    for (const [key, value] of Object.entries(letter.headers)) say(`${printable(key)}: ${printable(value)}`);
    say(`\n${body(letter.data)}`);
  } else if (command === 'replay') {
    const { filter, dryRun, seq } = bulkFilter(args);
    if (seq === undefined) {
      say(bulkReport(await replayDeadLetters(nc.jetstream(), jsm, topology, filter, { contracts, dryRun })));
      return 0;
    }
    try {
      const result = await replayDeadLetter(nc.jetstream(), jsm, topology, seq, { contracts });
      const dup = result.duplicate ? ' (already republished earlier: the broker kept the first copy)' : '';
      say(`replayed #${seq} to ${result.subject} as ${result.msgId} (stream seq ${result.seq})${dup}`);
      say(`dead letter #${seq} deleted`);
    } catch (error) {
      if (!(error instanceof DeadLetterRefusedError)) throw error;
      console.error(`[dlq] ${printable(error.message)}; it stays in ${stream}`);
      return 1;
    }
  } else {
    throw new UsageError(`unknown command: ${command}`);
  }
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  if (!['list', 'show', 'replay'].includes(argv[0])) {
    console.error(argv[0] ? `[dlq] unknown command: ${argv[0]}` : '[dlq] no command given');
    console.error(USAGE);
    return 2;
  }
  try {
    if (argv[0] === 'replay') bulkFilter(argv.slice(1)); // bad arguments answer before NATS is asked
  } catch (error) {
    console.error(`[dlq] ${printable((error as Error).message)}`);
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
    return await run(nc, argv);
  } catch (error) {
    // parseArgs throws a TypeError for an unknown option or a missing value: a usage error too.
    const usage = error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    console.error(`[dlq] ${printable((error as Error).message)}`);
    if (usage) console.error(USAGE);
    return usage ? 2 : 1;
  } finally {
    await nc.close();
  }
}
