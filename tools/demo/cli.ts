/**
 * `npm run demo:dual-write` — the talk's contrast (docs/TALK.md): the same seeded workload under
 * the same faults, once per delivery (the outbox, publish after commit, publish before commit) and
 * then with the inbox off and on under lost acks, each on a fresh system with the dual-write lab
 * on; then the auditor on each, and one table side by side. Crashed apps are restarted as
 * `npm start` does. Exits 1 when a column that must be clean (the outbox, the inbox on) is not.
 *
 *   npm run demo:dual-write -- [--orders 40] [--seed 1] [--mode choreography] [--details]
 *
 * Progress goes to stderr, the table to stdout. Ctrl-C stops the apps and removes what the run made.
 */
import { parseArgs } from 'node:util';
import { SAGA_MODES, type SagaMode } from '@passo/contracts';
import { buildApps } from '../system/apps';
import type { CompareSystem } from '../system/harness';
import { demoFootnotes, demoTable } from './report';
import { runScenario, type ScenarioResult } from './run-scenario';
import { deliveryFaults, REDELIVER, scenarios } from './scenarios';
import { UsageError, withInfra } from '../system/command';

export const log = (line: string) => process.stderr.write(`[demo] ${line}\n`);

export const USAGE = `npm run demo:dual-write -- [--orders 40] [--seed 1] [--mode ${SAGA_MODES.join('|')}] [--details]
  --orders   orders placed in each column
  --seed     the lab's seed: the same seed draws the same faults
  --mode     the saga mode of every order
  --details  list every violation the auditor found, with its ids`;

function options(argv: string[]) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        orders: { type: 'string', default: '40' },
        seed: { type: 'string', default: '1' },
        mode: { type: 'string', default: 'choreography' },
        details: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${USAGE}`);
  }
  if (values.help) return 'help' as const;
  const orders = Number(values.orders);
  if (!Number.isInteger(orders) || orders < 1 || orders > 10_000)
    throw new UsageError(`--orders must be a whole number in 1..10000 (got ${values.orders})`);
  const seed = Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffff_ffff)
    throw new UsageError(`--seed must be a whole number in 0..4294967295 (got ${values.seed})`);
  if (!(SAGA_MODES as readonly string[]).includes(values.mode))
    throw new UsageError(`--mode must be one of ${SAGA_MODES.join(', ')} (got ${values.mode})`);
  return { orders, seed, mode: values.mode as SagaMode, details: values.details };
}

export async function main(): Promise<number> {
  const opts = options(process.argv.slice(2));
  if (opts === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const started = Date.now();
  return withInfra(log, async (infra, cleanup) => {
    await buildApps(log);
    const results: ScenarioResult[] = [];
    const all = scenarios(opts.seed);
    for (const [n, scenario] of all.entries()) {
      log(
        `${n + 1}/${all.length} ${scenario.name}: ${opts.orders} ${opts.mode} orders, lab ${JSON.stringify(scenario.lab)}`,
      );
      let current: CompareSystem | undefined;
      cleanup.add(async (signalled) => current?.stop({ signalled }));
      const result = await runScenario(
        infra,
        scenario,
        { orders: opts.orders, mode: opts.mode, concurrency: 4, quietMs: 2_000, timeoutMs: 90_000 },
        log,
        (system) => (current = system),
      );
      log(`  ${scenario.name}: ${result.audit.violations.length} violation(s) found by the auditor`);
      results.push(result);
    }
    const faults = Object.entries(deliveryFaults())
      .map(([fault, p]) => `${fault} ${p}`)
      .join(', ');
    process.stdout.write(`\n${demoTable(results)}\n\n${demoFootnotes(opts.orders, opts.seed, faults, REDELIVER)}\n`);
    if (opts.details) {
      for (const { scenario, audit } of results) {
        if (audit.violations.length === 0) continue;
        process.stdout.write(`\n${scenario.name}:\n${audit.violations.map((v) => `  ${v.message}`).join('\n')}\n`);
      }
    }
    log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    const dirty = results.filter((r) => r.scenario.expectClean && r.audit.violations.length > 0);
    for (const r of dirty) log(`${r.scenario.name} must be clean and is not: a bug (rerun with --details)`);
    const unharmed = results.filter((r) => !r.scenario.expectClean && r.audit.violations.length === 0);
    for (const r of unharmed) log(`${r.scenario.name} came out clean this time: the faults missed; try more --orders`);
    return dirty.length > 0 ? 1 : 0;
  });
}
