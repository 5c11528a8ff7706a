import { parseArgs } from 'node:util';
import { SAGA_MODES, type SagaMode } from '@passo/contracts';

export const PHASES = ['closed', 'fixed'] as const;
export type Phase = (typeof PHASES)[number];

export interface BenchOptions {
  orders: number;
  concurrency: number;
  rate: number;
  durationS: number;
  timeoutMs: number;
  modes: SagaMode[];
  phases: Phase[];
  dbos: boolean;
  soak: boolean;
  profile: boolean;
}

export const SOAK_SECONDS = 180;

export const USAGE = `npm run bench:saga -- [options]
  --orders N       closed loop: orders per mode (default 3000)
  --concurrency C  closed loop: POSTs in flight at once (default 64)
  --rate R         fixed rate: orders per second, sent on a clock (default 150)
  --duration S     fixed rate: seconds of sending (default 20; ${SOAK_SECONDS} with --soak)
  --timeout T      seconds a phase's sagas may take to settle after its last POST (default 120)
  --modes LIST     saga modes, in order (default ${SAGA_MODES.join(',')})
  --phases LIST    closed,fixed or one of them (default both; fixed only with --soak)
  --skip-dbos      no DBOS baseline (no ratios)
  --soak           memory check: fixed rate for ${SOAK_SECONDS} s, RSS at start/middle/end, outbox/inbox rows
  --profile        node --cpu-prof for every app (and DBOS), then self time by package
  -h, --help       this text`;

export { UsageError } from '../system/command';
import { UsageError } from '../system/command';

/** The bench's options from argv (no `node` or script), or 'help'; UsageError names what is wrong. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        orders: { type: 'string', default: '3000' },
        concurrency: { type: 'string', default: '64' },
        rate: { type: 'string', default: '150' },
        duration: { type: 'string' },
        timeout: { type: 'string', default: '120' },
        modes: { type: 'string', default: SAGA_MODES.join(',') },
        phases: { type: 'string' },
        'skip-dbos': { type: 'boolean', default: false },
        soak: { type: 'boolean', default: false },
        profile: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return 'help';
  const soak = values.soak;
  return {
    orders: positive('orders', values.orders),
    concurrency: positive('concurrency', values.concurrency),
    rate: positive('rate', values.rate),
    durationS: positive('duration', values.duration ?? String(soak ? SOAK_SECONDS : 20)),
    timeoutMs: positive('timeout', values.timeout) * 1000,
    modes: list('modes', values.modes, SAGA_MODES),
    phases: list('phases', values.phases ?? (soak ? 'fixed' : PHASES.join(',')), PHASES),
    dbos: !values['skip-dbos'],
    soak,
    profile: values.profile,
  };
}

function positive(name: string, raw: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(value) || value < 1)
    throw new UsageError(`--${name} must be a whole number ≥ 1 (got ${raw})`);
  return value;
}

function list<T extends string>(name: string, raw: string, allowed: readonly T[]): T[] {
  const items = raw.split(',').map((item) => item.trim());
  const unknown = items.filter((item) => !(allowed as readonly string[]).includes(item));
  if (unknown.length > 0 || items.length === 0)
    throw new UsageError(`--${name} takes a comma list of ${allowed.join(', ')} (got ${raw})`);
  return [...new Set(items)] as T[];
}
