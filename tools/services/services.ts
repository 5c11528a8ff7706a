// The four services — app, port, database, URL variable, NATS user, schema folder — in the one
// table every tool reads (start, infra, migrate, the tests, compare, bench, the docker-compose
// check), and the migrator's error type.
export { ROOT as PROJECT_ROOT } from '../devstack/paths';

export type ServiceName = 'order' | 'inventory' | 'payment' | 'orchestrator';

export interface ServiceSpec {
  name: ServiceName;
  /** The app (apps/<app>), its NATS user and its durable consumer group. */
  app: 'order-service' | 'inventory-service' | 'payment-service' | 'saga-orchestrator';
  /** Its HTTP port under `npm start` (docs/ARCHITECTURE.md, "Services, ports, databases"). */
  port: number;
  database: string;
  urlEnv: DatabaseUrlVar;
  /** Its NATS user and password in a `.env` shared by the four apps (the app also reads NATS_USER/NATS_PASSWORD). */
  natsUserEnv: `${string}_NATS_USER`;
  natsPasswordEnv: `${string}_NATS_PASSWORD`;
  /** Schema folder, relative to the project root. */
  dir: string;
}

/** docs/ARCHITECTURE.md, "Services, ports, databases": each service's URL variable. */
export type DatabaseUrlVar =
  'ORDER_DATABASE_URL' | 'INVENTORY_DATABASE_URL' | 'PAYMENT_DATABASE_URL' | 'ORCHESTRATOR_DATABASE_URL';

export const SERVICES: readonly ServiceSpec[] = [
  {
    name: 'order',
    app: 'order-service',
    port: 3001,
    database: 'passo_order',
    urlEnv: 'ORDER_DATABASE_URL',
    natsUserEnv: 'ORDER_NATS_USER',
    natsPasswordEnv: 'ORDER_NATS_PASSWORD',
    dir: 'prisma/order',
  },
  {
    name: 'inventory',
    app: 'inventory-service',
    port: 3002,
    database: 'passo_inventory',
    urlEnv: 'INVENTORY_DATABASE_URL',
    natsUserEnv: 'INVENTORY_NATS_USER',
    natsPasswordEnv: 'INVENTORY_NATS_PASSWORD',
    dir: 'prisma/inventory',
  },
  {
    name: 'payment',
    app: 'payment-service',
    port: 3003,
    database: 'passo_payment',
    urlEnv: 'PAYMENT_DATABASE_URL',
    natsUserEnv: 'PAYMENT_NATS_USER',
    natsPasswordEnv: 'PAYMENT_NATS_PASSWORD',
    dir: 'prisma/payment',
  },
  {
    name: 'orchestrator',
    app: 'saga-orchestrator',
    port: 3004,
    database: 'passo_orchestrator',
    urlEnv: 'ORCHESTRATOR_DATABASE_URL',
    natsUserEnv: 'ORCHESTRATOR_NATS_USER',
    natsPasswordEnv: 'ORCHESTRATOR_NATS_PASSWORD',
    dir: 'prisma/orchestrator',
  },
];

const APP_ALIASES: Record<string, ServiceName> = Object.fromEntries(SERVICES.map((s) => [s.app, s.name]));

export type MigrationErrorCode =
  | 'UNKNOWN_SERVICE'
  | 'EDITED_MIGRATIONS'
  | 'FAILED_MIGRATIONS'
  | 'UNKNOWN_MIGRATIONS'
  | 'NO_MIGRATIONS'
  | 'OUT_OF_ORDER'
  | 'MISSING_URL'
  | 'USAGE'
  | 'RUN_FAILED';

export class MigrationError extends Error {
  constructor(
    readonly code: MigrationErrorCode,
    message: string,
    readonly service?: ServiceName,
    readonly migrations: readonly string[] = [],
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'MigrationError';
  }
}

/** `order`, `order-service`, `apps/order-service`, `saga-orchestrator`, `orchestrator`, … */
export function resolveService(nameOrApp: string): ServiceSpec {
  const key = nameOrApp
    .trim()
    .toLowerCase()
    .replace(/^apps\//, '')
    .replace(/\/$/, '');
  const name = APP_ALIASES[key] ?? key;
  const spec = SERVICES.find((s) => s.name === name);
  if (!spec) {
    const valid = [...SERVICES.map((s) => s.name), ...Object.keys(APP_ALIASES)].join(', ');
    throw new MigrationError('UNKNOWN_SERVICE', `unknown service "${nameOrApp}" (valid: ${valid})`);
  }
  return spec;
}
