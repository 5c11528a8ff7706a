/**
 * `npm run outbox -- parked [--service S] [--json] [--limit N]` lists the outbox rows a relay parked
 * (rows the broker can never take: a header NATS refuses, a body above max_payload, a subject no
 * stream takes), and `npm run outbox -- release <id...> | --all [--service S]` hands them back to
 * the relay, which tries them again in order. The databases: each service's *_DATABASE_URL, else
 * the .env of `npm run infra`, else the embedded default.
 */
import { parseArgs } from 'node:util';
import { Pool } from 'pg';
import { listParked, releaseParked, type ParkedRow } from '../../libs/outbox/src/outbox/parked';
import { printable } from '../../libs/outbox/src/printable';
import { serviceDatabaseUrl } from '../devstack/database-urls';
import { resolveService, SERVICES, type ServiceSpec } from '../services/services';

const USAGE = [
  'usage: npm run outbox -- parked [--service S] [--json] [--limit N]',
  '       npm run outbox -- release <id...> | --all [--service S]',
  `  S: ${SERVICES.map((s) => s.name).join(' | ')} (default: all four)`,
].join('\n');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

class UsageError extends Error {}
class HelpRequested extends Error {}

function parse(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      service: { type: 'string' },
      json: { type: 'boolean' },
      all: { type: 'boolean' },
      limit: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, ...ids] = positionals;
  if (values.help) throw new HelpRequested();
  if (command !== 'parked' && command !== 'release')
    throw new UsageError(command ? `unknown command: ${command}` : 'no command given');
  let services: readonly ServiceSpec[] = SERVICES;
  try {
    if (values.service !== undefined) services = [resolveService(values.service)];
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const limit = values.limit === undefined ? 100 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit must be a positive integer');
  if (command === 'parked' && (ids.length > 0 || values.all)) throw new UsageError('parked takes no ids and no --all');
  if (command === 'release') {
    if (values.json) throw new UsageError('--json is for parked');
    if (Boolean(values.all) === ids.length > 0) throw new UsageError('release takes ids or --all (one of them)');
    const bad = ids.find((id) => !UUID.test(id));
    if (bad !== undefined) throw new UsageError(`not an outbox row id (a UUID): ${bad}`);
  }
  return { command, ids, services, json: values.json ?? false, all: values.all ?? false, limit };
}

function table(rows: (ParkedRow & { service: string })[]): string {
  const header = ['SERVICE', 'ID', 'TYPE', 'SUBJECT', 'ATTEMPTS', 'PARKED AT', 'ERROR'];
  const cells = rows.map((r) => [
    r.service,
    r.id,
    r.type,
    r.subject,
    String(r.attempts),
    r.parkedAt,
    r.lastError ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((row) => Math.min(row[i].length, 80))));
  return [header, ...cells]
    .map((row) =>
      row
        .map((cell, i) => (cell.length > 80 ? `${cell.slice(0, 79)}…` : cell).padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Every string a row holds made printable (a parked row is often parked for what it holds). */
const clean = <T extends object>(row: T): T =>
  Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'string' ? printable(v) : v])) as T;

async function run(options: ReturnType<typeof parse>): Promise<number> {
  const found: (ParkedRow & { service: string })[] = [];
  const released = new Set<string>();
  for (const spec of options.services) {
    const pool = connect(spec);
    try {
      if (options.command === 'parked') {
        for (const row of await listParked(pool, { limit: options.limit }))
          found.push(clean({ service: spec.name, ...row }));
      } else {
        const ids = await releaseParked(pool, options.all ? 'all' : options.ids);
        ids.forEach((id) => released.add(id));
        if (options.all || ids.length > 0)
          console.log(`${spec.name}: released ${ids.length} parked row(s) ${ids.join(' ')}`.trimEnd());
      }
    } catch (error) {
      throw new Error(`${spec.name} (${spec.urlEnv}): ${printable((error as Error).message)}`, { cause: error });
    } finally {
      await pool.end();
    }
  }
  if (options.command === 'parked') {
    console.log(options.json ? JSON.stringify(found, null, 2) : found.length ? table(found) : 'no parked outbox rows');
    return 0;
  }
  const missing = options.ids.filter((id) => !released.has(id.toLowerCase()));
  for (const id of missing) console.error(`[outbox] not parked (or not found): ${id}`);
  return missing.length > 0 ? 1 : 0;
}

function connect(spec: ServiceSpec): Pool {
  const pool = new Pool({ connectionString: serviceDatabaseUrl(spec), max: 1, connectionTimeoutMillis: 3_000 });
  pool.on('error', () => undefined);
  return pool;
}

export async function main(argv: string[]): Promise<number> {
  let options: ReturnType<typeof parse>;
  try {
    options = parse(argv);
  } catch (error) {
    if (error instanceof HelpRequested) {
      console.log(USAGE);
      return 0;
    }
    // parseArgs throws a TypeError for an unknown option or a missing value: a usage error too.
    console.error(`[outbox] ${printable((error as Error).message)}`);
    console.error(USAGE);
    return 2;
  }
  try {
    return await run(options);
  } catch (error) {
    console.error(`[outbox] ${(error as Error).message}; is the database running? set the service's *_DATABASE_URL`);
    return 1;
  }
}
