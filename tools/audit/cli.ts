/**
 * `npm run audit [-- --json] [--deadline-ms N] [--grace-ms N] [--retention-ms N] [--stock SKU=N ...] [--balance ID=CENTS ...]`
 * reads the four databases read only and lists every violation of
 * docs/ARCHITECTURE.md, "Failure semantics" 1–4, grouped by kind (`--json`: the records). Exit 0
 * when clean, 1 when not, 2 for a usage error or a database it cannot read. The databases: each service's *_DATABASE_URL, else
 * the .env of `npm run infra`, else the embedded default. --stock and --balance say what the
 * data cannot: a SKU's restocked total, a wallet's starting balance.
 */
import { parseArgs } from 'node:util';
import { printable } from '../../libs/outbox/src/printable';
import { audit, DEFAULT_DEADLINE_MS, DEFAULT_GRACE_MS, DEFAULT_RETENTION_MS, formatAudit, openReadOnly } from '.';
import { serviceDatabaseUrl } from '../devstack/database-urls';
import { SERVICES, type ServiceName } from '../services/services';

const USAGE =
  'usage: npm run audit -- [--json] [--deadline-ms N] [--grace-ms N] [--retention-ms N] [--stock SKU=N ...] [--balance CUSTOMER=CENTS ...]\n' +
  `  --deadline-ms: a saga's deadline (default SAGA_DEADLINE_MS or ${DEFAULT_DEADLINE_MS}); 0: every saga should have settled\n` +
  `  --grace-ms: more for orchestrated orders (default SAGA_STUCK_GRACE_MS or ${DEFAULT_GRACE_MS})\n` +
  `  --retention-ms: how long the relays keep published rows (default OUTBOX_RETENTION_MS or ${DEFAULT_RETENTION_MS})`;

class UsageError extends Error {}

function count(text: string | undefined, what: string): number | undefined {
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new UsageError(`${what} must be a whole number ≥ 0, not "${text}"`);
  return value;
}

function pairs(items: string[] = [], what: string): Record<string, number> {
  const result: Record<string, number> = {};
  for (const item of items) {
    const at = item.lastIndexOf('=');
    if (at < 1) throw new UsageError(`${what} takes NAME=N, not "${item}"`);
    result[item.slice(0, at)] = count(item.slice(at + 1), `${what} ${item.slice(0, at)}`)!;
  }
  return result;
}

function parse(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      json: { type: 'boolean' },
      'deadline-ms': { type: 'string' },
      'grace-ms': { type: 'string' },
      'retention-ms': { type: 'string' },
      stock: { type: 'string', multiple: true },
      balance: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
  return {
    help: values.help ?? false,
    json: values.json ?? false,
    deadlineMs:
      count(values['deadline-ms'], '--deadline-ms') ??
      count(process.env.SAGA_DEADLINE_MS, 'SAGA_DEADLINE_MS') ??
      DEFAULT_DEADLINE_MS,
    graceMs:
      count(values['grace-ms'], '--grace-ms') ??
      count(process.env.SAGA_STUCK_GRACE_MS, 'SAGA_STUCK_GRACE_MS') ??
      DEFAULT_GRACE_MS,
    retentionMs:
      count(values['retention-ms'], '--retention-ms') ??
      count(process.env.OUTBOX_RETENTION_MS, 'OUTBOX_RETENTION_MS') ??
      DEFAULT_RETENTION_MS,
    stockTotals: pairs(values.stock, '--stock'),
    initialBalances: pairs(values.balance, '--balance'),
  };
}

export async function main(argv: string[]): Promise<number> {
  let options: ReturnType<typeof parse>;
  try {
    options = parse(argv);
  } catch (error) {
    console.error(`[audit] ${printable((error as Error).message)}\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  const urls = Object.fromEntries(SERVICES.map((spec) => [spec.name, serviceDatabaseUrl(spec)]));
  let opened: Awaited<ReturnType<typeof openReadOnly>>;
  try {
    opened = await openReadOnly(urls as Record<ServiceName, string>);
  } catch (error) {
    const spec = SERVICES.find((s) => s.name === (error as { service?: string }).service);
    const hint = spec ? ` (set ${spec.urlEnv}, or run npm run infra)` : '';
    console.error(`[audit] ${printable((error as Error).message)}${hint}`);
    return 2;
  }
  try {
    const result = await audit(opened.databases, options);
    // Line by line: nothing a row holds (a parked row's error) can move the cursor or fake a line.
    const text = options.json ? JSON.stringify(result, null, 2) : formatAudit(result);
    console.log(text.split('\n').map(printable).join('\n'));
    return result.violations.length > 0 ? 1 : 0;
  } catch (error) {
    console.error(`[audit] reading the databases failed: ${printable((error as Error).message)}`);
    return 2;
  } finally {
    await opened.close();
  }
}
