// The auditor's vocabulary: what it reads, what it is told, what it reports.

/** Runs one SQL statement on one service's database and returns its rows. */
export type QueryFn = <R = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<R[]>;

/** The databases an audit reads; without the orchestrator's it cannot say where an orchestrated saga stands. */
export interface AuditDatabases {
  order: QueryFn;
  inventory: QueryFn;
  payment: QueryFn;
  orchestrator?: QueryFn;
}

/**
 * docs/ARCHITECTURE.md, "Failure semantics" 1–4, as the data can show them:
 * - `unsettled-order` (1): PENDING past its deadline, with why when the data tells;
 * - `ghost-effect` (2, 3): a reservation or payment of an order that does not exist, or stock
 *   still held / money still kept for a CANCELLED order;
 * - `double-effect` (2): more than one completed payment, or more than one reservation, for an order;
 * - `unbacked-confirmation` (1, 3): a CONFIRMED order without a completed payment or without SOLD stock;
 * - `stock-not-conserved` (3): per SKU, the counters disagree with the reservations or the restocked total;
 * - `money-not-conserved` (3): per customer, a negative balance or balance + completed payments
 *   other than what the wallet started with.
 */
export type ViolationKind =
  | 'unsettled-order'
  | 'ghost-effect'
  | 'double-effect'
  | 'unbacked-confirmation'
  | 'stock-not-conserved'
  | 'money-not-conserved';

export const VIOLATION_KINDS: readonly ViolationKind[] = [
  'unsettled-order',
  'ghost-effect',
  'double-effect',
  'unbacked-confirmation',
  'stock-not-conserved',
  'money-not-conserved',
];

export interface Violation {
  kind: ViolationKind;
  /** The ids concerned, every list present (empty when none), sorted. */
  orderIds: string[];
  skus: string[];
  customerIds: string[];
  paymentIds: string[];
  /** One sentence for a human, naming the same ids. */
  message: string;
}

export interface AuditOptions {
  /**
   * How long a saga may take (order-service's and the orchestrator's SAGA_DEADLINE_MS, default
   * 30 s). A PENDING order younger than this, and a disagreement between databases whose last
   * write is younger, may still be in flight and is not reported. 0: every saga should have
   * settled by now (the e2e tests and compare, after they waited for it).
   */
  deadlineMs?: number;
  /** Orchestrated orders get this much more (order-service's SAGA_STUCK_GRACE_MS, default 10 s). */
  graceMs?: number;
  /**
   * How long the apps' relays keep published outbox rows (their OUTBOX_RETENTION_MS, default a
   * day): an older order whose OrderPlaced row is gone may have had it deleted, not lost.
   */
  retentionMs?: number;
  /** Per SKU, available + reserved + sold as restocked: the data alone cannot show it. */
  stockTotals?: Record<string, number>;
  /** Per customer, the wallet's starting balance: the data alone cannot show it (PUT sets it). */
  initialBalances?: Record<string, number>;
}

export interface AuditCounts {
  orders: number;
  /** PENDING orders still within their deadline: in flight, not judged. */
  inFlight: number;
  reservations: number;
  payments: number;
  products: number;
  customers: number;
}

export interface AuditResult {
  violations: Violation[];
  counts: AuditCounts;
  /** The databases read, in reading order. */
  databases: (keyof AuditDatabases)[];
}
