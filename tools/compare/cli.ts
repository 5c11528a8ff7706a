/**
 * `npm run compare` — the same workload in each saga mode on one real system (the four apps on
 * fresh databases and streams of their own), then a table: throughput, latency, messages and
 * database commits per saga, and whether every invariant held. Exits 1 when one did not, when an
 * order ended otherwise than the set-up makes certain, or when a mode's sagas did not all settle in time.
 *
 *   npm run compare -- [--orders 200] [--concurrency 20] [--modes choreography,orchestration] [--timeout 120]
 *
 * Progress goes to stderr, the table to stdout. Ctrl-C stops the apps and removes the run's
 * databases and streams.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { SAGA_MODES, type SagaMode } from '@passo/contracts';
import { buildApps } from '../system/apps';
import { footnotes, type ModeColumn, table } from './report';
import { runMode, STATS_FLUSH_MS } from './run-mode';
import { SettleTimeout, setUp } from './traffic';
import { CompareSystem } from '../system/harness';
import { planWorkload } from './workload';
import { UsageError, withInfra } from '../system/command';

export const log = (line: string) => process.stderr.write(`[compare] ${line}\n`);

interface Options {
  orders: number;
  concurrency: number;
  modes: SagaMode[];
  timeoutMs: number;
}

export const USAGE = `npm run compare -- [--orders 200] [--concurrency 20] [--modes ${SAGA_MODES.join(',')}] [--timeout 120]
  --orders       orders placed per mode
  --concurrency  POST /orders requests in flight at once
  --modes        which saga modes to run, in order
  --timeout      seconds a mode's sagas may take to settle`;

function options(argv: string[]): Options | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        orders: { type: 'string', default: '200' },
        concurrency: { type: 'string', default: '20' },
        modes: { type: 'string', default: SAGA_MODES.join(',') },
        timeout: { type: 'string', default: '120' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${USAGE}`);
  }
  if (values.help) return 'help';
  const positive = (name: string, raw: string) => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1)
      throw new UsageError(`--${name} must be a whole number ≥ 1 (got ${raw})`);
    return value;
  };
  const modes = values.modes.split(',').map((mode) => mode.trim());
  const unknown = modes.filter((mode) => !(SAGA_MODES as readonly string[]).includes(mode));
  if (unknown.length > 0 || modes.length === 0) {
    throw new UsageError(`--modes takes a comma list of ${SAGA_MODES.join(', ')} (got ${values.modes})`);
  }
  return {
    orders: positive('orders', values.orders),
    concurrency: positive('concurrency', values.concurrency),
    modes: [...new Set(modes)] as SagaMode[],
    timeoutMs: positive('timeout', values.timeout) * 1000,
  };
}

export async function main(): Promise<number> {
  const opts = options(process.argv.slice(2));
  if (opts === 'help') return (void process.stdout.write(`${USAGE}\n`), 0);
  return withInfra(log, async (infra, cleanup) => {
    const system = new CompareSystem(infra, log);
    cleanup.add((signalled) => system.stop({ signalled }));
    await system.createDatabases();
    await buildApps(log);
    await system.startApps();
    return compare(system, opts);
  });
}

async function compare(system: CompareSystem, opts: Options): Promise<number> {
  const tag = randomBytes(3).toString('hex');
  // Each mode on names of its own; all set up first, so one wait lets that work's statistics flush.
  const workloads = opts.modes.map((mode) => ({ mode, workload: planWorkload(mode, opts.orders, `${mode[0]}${tag}`) }));
  for (const { workload } of workloads) await setUp(system, workload);
  log(`set up; waiting ${STATS_FLUSH_MS / 1000} s for the databases' statistics to catch up`);
  await new Promise((r) => setTimeout(r, STATS_FLUSH_MS));
  const columns: ModeColumn[] = [];
  let failed = false;
  for (const { mode, workload } of workloads) {
    if (failed) {
      columns.push({ mode, failed: 'skipped' });
      continue;
    }
    log(`${mode}: ${opts.orders} orders, ${opts.concurrency} in flight`);
    try {
      columns.push({ mode, run: await runMode(system, mode, workload, opts) });
    } catch (error) {
      if (!(error instanceof SettleTimeout)) throw error;
      log(error.message);
      // Its sagas are still in flight: they would blur whatever ran next.
      columns.push({ mode, failed: 'timed out', why: error.message });
      failed = true;
    }
  }
  process.stdout.write(`\n${table(columns)}\n\n${footnotes(columns, opts.orders, opts.concurrency)}\n`);
  for (const column of columns) {
    if ('why' in column && column.why) log(column.why);
    if (!('run' in column)) continue;
    const { violations, orders, asPlanned } = column.run;
    for (const violation of violations) log(`${column.mode}: invariant violated: ${violation}`);
    // The set-up makes every outcome certain: another one is a bug, even with the invariants intact.
    if (asPlanned < orders.length)
      log(`${column.mode}: ${orders.length - asPlanned} order(s) ended otherwise than planned`);
    if (violations.length > 0 || asPlanned < orders.length) failed = true;
  }
  return failed ? 1 : 0;
}
