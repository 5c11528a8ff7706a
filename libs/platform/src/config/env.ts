import { z } from 'zod';

const postgresUrl = z
  .string()
  .regex(/^postgres(ql)?:\/\/\S+\/\w+/, 'must be a postgresql://user:password@host:port/database URL');

const natsUrls = z
  .string()
  .regex(
    /^(nats|tls|ws|wss):\/\/[^\s,]+(,(nats|tls|ws|wss):\/\/[^\s,]+)*$/,
    'must be one or more nats://host:port URLs, comma separated',
  );

const natsSecret = z.string().min(1, 'must not be empty');

/** The outbox's retention of published rows and inbox records: its default and its floor. */
export const OUTBOX_RETENTION = { defaultMs: 86_400_000, minMs: 60_000 } as const;

const ackWaitMs = z.coerce.number().int().min(1_000).max(600_000).default(30_000);
const retentionMs = z.coerce.number().int().min(OUTBOX_RETENTION.minMs).default(OUTBOX_RETENTION.defaultMs);

/**
 * The app's NATS user in a `.env` shared by all apps (`npm run infra`): `ORDER_DATABASE_URL` →
 * `ORDER_NATS_USER`, `ORDER_NATS_PASSWORD`. `NATS_USER` / `NATS_PASSWORD` win when set.
 */
export function perAppNatsVars(databaseUrlVar: string): { user: string; password: string } {
  const app = databaseUrlVar.replace(/_DATABASE_URL$/, '');
  return { user: `${app}_NATS_USER`, password: `${app}_NATS_PASSWORD` };
}

/** The user and password the app connects to NATS with; the user defaults to the app's name. */
export function resolveNatsCredentials(
  env: Record<string, unknown>,
  databaseUrlVar: string,
  service: string,
): { NATS_USER: string; NATS_PASSWORD: string } {
  const own = perAppNatsVars(databaseUrlVar);
  const pick = (...names: string[]) => names.map((name) => env[name]).find((v) => typeof v === 'string' && v !== '');
  return {
    NATS_USER: (pick('NATS_USER', own.user) as string | undefined) ?? service,
    NATS_PASSWORD: (pick('NATS_PASSWORD', own.password) as string | undefined) ?? '',
  };
}

const BODY_LIMIT = /^(\d+)(b|kb|mb)$/i;
const BODY_LIMIT_UNITS: Record<string, number> = { b: 1, kb: 1_024, mb: 1_024 * 1_024 };

/** HTTP_BODY_LIMIT (`100kb`, checked by appEnvSchema) in bytes; 1kb is 1,024 bytes, as Express's parser read it. */
export function bodyLimitBytes(limit: string): number {
  const [, count, unit] = BODY_LIMIT.exec(limit) ?? [];
  if (!count || !unit) throw new RangeError(`HTTP_BODY_LIMIT ${limit} must look like 100kb`);
  return Number(count) * BODY_LIMIT_UNITS[unit.toLowerCase()]!;
}

/** Variables every app reads. Each app adds its own database URL (and more) on top. */
export function appEnvSchema<const UrlVar extends string>(databaseUrlVar: UrlVar, defaultPort: number) {
  const own = perAppNatsVars(databaseUrlVar);
  const base = z.object({
    PORT: z.coerce.number().int().min(1).max(65_535).default(defaultPort),
    NATS_URL: natsUrls,
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    LOG_FORMAT: z.enum(['json', 'pretty']).default('json'),
    HTTP_BODY_LIMIT: z.string().regex(BODY_LIMIT, 'must look like 100kb').default('100kb'),
    /** Connections for HTTP requests and the app's own jobs. */
    DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
    /** How long a query waits for a free connection before failing (a request then answers 503). */
    DATABASE_POOL_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5_000),
    /** Connections of the consumers, apart from DATABASE_POOL_SIZE: batches run one at a time. */
    MESSAGING_DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(2),
    /** How long the broker waits for a consumer's ack before redelivering (a crashed consumer's messages). */
    MESSAGING_ACK_WAIT_MS: ackWaitMs,
    /** Most consumed messages committed together in one transaction (1: each on its own). */
    MESSAGING_BATCH_SIZE: z.coerce.number().int().min(1).max(1_000).default(64),
    /** Published outbox rows and inbox records older than this are deleted by the relay's cleanup. */
    OUTBOX_RETENTION_MS: retentionMs,
    /** The dual-write lab (docs/ARCHITECTURE.md): `on` serves GET/PUT /lab and lets faults be armed. */
    PASSO_LAB: z.enum(['on', 'off'], 'must be on or off').default('off'),
    /** Prefix of every subject and stream: several systems (or test runs) can share one NATS. */
    PASSO_TOPOLOGY_PREFIX: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]*$/i, 'letters, digits and - only')
      .optional(),
    /** The app's NATS user and password (the bus refuses anonymous clients), or the per-app names. */
    NATS_USER: natsSecret.optional(),
    NATS_PASSWORD: natsSecret.optional(),
    [own.user]: natsSecret.optional(),
    [own.password]: natsSecret.optional(),
    ...({ [databaseUrlVar]: postgresUrl } as Record<UrlVar, typeof postgresUrl>),
  });
  return base.superRefine(
    (env: Record<string, unknown>, ctx) => {
      if (env.NATS_PASSWORD === undefined && env[own.password] === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['NATS_PASSWORD'],
          message: `(or ${own.password}) is required but not set`,
        });
      }
      // An inbox record deleted before its message's last redelivery would let that copy run again.
      // Compared only when both are valid: otherwise each names its own problem.
      const ackWait = ackWaitMs.safeParse(env.MESSAGING_ACK_WAIT_MS);
      const retention = retentionMs.safeParse(env.OUTBOX_RETENTION_MS);
      if (ackWait.success && retention.success && retention.data < 2 * ackWait.data) {
        ctx.addIssue({
          code: 'custom',
          path: ['OUTBOX_RETENTION_MS'],
          message: `must be at least 2 × MESSAGING_ACK_WAIT_MS, ${2 * ackWait.data} here: an inbox record must outlive any redelivery of its message`,
        });
      }
      // Checked even when other variables are missing too: every problem is named at once.
    },
    { when: () => true },
  );
}

export class InvalidConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'InvalidConfigError';
  }
}

/** Validates raw env, naming each bad or missing variable (never its value: it may be a secret). */
export function parseEnv<S extends z.ZodType>(schema: S, raw: Record<string, unknown>): z.infer<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.join('.');
    const missing = issue.code === 'invalid_type' && raw[name] === undefined;
    return missing ? `${name} is required but not set` : `${name} ${issue.message}`;
  });
  throw new InvalidConfigError(problems);
}
