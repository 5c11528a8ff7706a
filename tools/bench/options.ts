import { parseArgs } from 'node:util';
import { SAGA_MODES, type SagaMode } from '@passo/contracts';
import { OUTBOX_RETENTION } from '../../libs/platform/src/config/env';

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
  /** The apps' OUTBOX_RETENTION_MS, in seconds; undefined: their default (DEFAULT_RETENTION_HOURS). */
  retentionS?: number;
}

export const SOAK_SECONDS = 180;
/** A soak's retention: short enough that its cleanup, not the run's length, bounds the tables. */
export const SOAK_RETENTION_SECONDS = 60;
const MIN_RETENTION_SECONDS = OUTBOX_RETENTION.minMs / 1000;
export const DEFAULT_RETENTION_HOURS = OUTBOX_RETENTION.defaultMs / 3_600_000;

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
                   every 30 s, the apps' retention ${SOAK_RETENTION_SECONDS} s (their cleanup must bound the tables)
  --retention S    seconds the apps keep published outbox rows and inbox records (OUTBOX_RETENTION_MS;
                   ≥ ${MIN_RETENTION_SECONDS}; default the apps' own, ${DEFAULT_RETENTION_HOURS} h; ${SOAK_RETENTION_SECONDS} with --soak)
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
        retention: { type: 'string' },
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
    retentionS: retention(values.retention ?? (soak ? String(SOAK_RETENTION_SECONDS) : undefined)),
  };
}

/** What the bench adds to the apps' environment. */
export function appEnv(opts: Pick<BenchOptions, 'retentionS'>): Record<string, string> {
  return opts.retentionS === undefined ? {} : { OUTBOX_RETENTION_MS: String(opts.retentionS * 1000) };
}

function retention(raw: string | undefined): number | undefined {
  return raw === undefined ? undefined : whole('retention', raw, MIN_RETENTION_SECONDS);
}

function positive(name: string, raw: string): number {
  return whole(name, raw, 1);
}

function whole(name: string, raw: string, min: number): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(value) || value < min)
    throw new UsageError(`--${name} must be a whole number ≥ ${min} (got ${raw})`);
  return value;
}

function list<T extends string>(name: string, raw: string, allowed: readonly T[]): T[] {
  const items = raw.split(',').map((item) => item.trim());
  const unknown = items.filter((item) => !(allowed as readonly string[]).includes(item));
  if (unknown.length > 0 || items.length === 0)
    throw new UsageError(`--${name} takes a comma list of ${allowed.join(', ')} (got ${raw})`);
  return [...new Set(items)] as T[];
}
