import { moneyViolations, stockViolations } from './conservation';
import { effectViolations } from './effects';
import { readEffects, readOrders, readOutbox, type OrderRow } from './snapshot';
import type { AuditDatabases, AuditOptions, AuditResult } from './types';
import { unsettledViolation } from './unsettled';
import { OUTBOX_RETENTION } from '../../libs/platform/src/config/env';

export const DEFAULT_DEADLINE_MS = 30_000;
export const DEFAULT_GRACE_MS = 10_000;
/** The apps' OUTBOX_RETENTION_MS default. */
export const DEFAULT_RETENTION_MS = OUTBOX_RETENTION.defaultMs;

/**
 * docs/ARCHITECTURE.md, "Failure semantics" 1–4, checked from the databases (read only: the
 * audit never writes). One implementation for `npm run audit`, the e2e tests and `npm run compare`.
 */
export async function audit(db: AuditDatabases, options: AuditOptions = {}): Promise<AuditResult> {
  const deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
  const effects = await readEffects(db);
  const orderRows = await readOrders(db);
  const orders = new Map(orderRows.map((o) => [o.id, o]));

  // As order-service's stuck-saga audit: the orchestrator cancels its sagas at the deadline, and
  // its CancelOrder takes a moment more to arrive.
  const limitOf = (o: OrderRow) => deadlineMs + (o.sagaMode === 'orchestration' ? graceMs : 0);
  const pending = orderRows.filter((o) => o.status === 'PENDING');
  const unsettled = pending.filter((o) => o.ageMs >= limitOf(o));
  const outbox = await readOutbox(
    db,
    unsettled.map((o) => o.id),
  );
  const sagaStates = effects.sagas && new Map(effects.sagas.map((s) => [s.orderId, s.state]));

  const violations = [
    ...unsettled.map((order) =>
      unsettledViolation(
        {
          order,
          outbox: outbox.filter((row) => row.orderId === order.id),
          reservation: effects.reservations.find((r) => r.orderId === order.id),
          payment: effects.payments.find((p) => p.orderId === order.id),
          sagaState: sagaStates ? (sagaStates.get(order.id) ?? null) : undefined,
          retentionMs: options.retentionMs ?? DEFAULT_RETENTION_MS,
        },
        limitOf(order),
      ),
    ),
    ...effectViolations(orders, effects.reservations, effects.payments, deadlineMs),
    ...stockViolations(effects.products, options.stockTotals),
    ...moneyViolations(effects.wallets, options.initialBalances),
  ];
  return {
    violations,
    counts: {
      orders: orderRows.length,
      inFlight: pending.length - unsettled.length,
      reservations: effects.reservations.length,
      payments: effects.payments.length,
      products: effects.products.length,
      customers: effects.wallets.length,
    },
    databases: db.orchestrator ? ['inventory', 'payment', 'orchestrator', 'order'] : ['inventory', 'payment', 'order'],
  };
}

/**
 * The e2e tests' and compare's check, once every saga should have settled (deadline 0): every
 * violation as a sentence, [] when all held. `stockTotals` and `initialBalances` name what the
 * caller set up.
 */
export async function checkInvariants(
  db: AuditDatabases,
  stockTotals: Record<string, number>,
  initialBalances: Record<string, number>,
): Promise<string[]> {
  const { violations } = await audit(db, { deadlineMs: 0, graceMs: 0, stockTotals, initialBalances });
  return violations.map((v) => v.message);
}
