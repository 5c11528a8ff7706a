import type { OrderRow, PaymentRow, ReservationRow } from './snapshot';
import type { Violation } from './types';
import { violation } from './violation';

/**
 * Effects without a cause, twice, or missing, judged only once the last write of the order and
 * of the effect is `settleMs` old: a live system's compensations and confirmations land a moment
 * after the order settles, and a publish-before-commit lab may act before its order commits.
 */
export function effectViolations(
  orders: Map<string, OrderRow>,
  reservations: ReservationRow[],
  payments: PaymentRow[],
  settleMs: number,
): Violation[] {
  const violations: Violation[] = [];
  const settled = (...idle: (number | undefined)[]) => Math.min(...idle.map((ms) => ms ?? Infinity)) >= settleMs;

  for (const r of reservations) {
    const order = orders.get(r.orderId);
    const held = r.status === 'RELEASED' ? 'nothing held' : r.status === 'SOLD' ? 'stock sold' : 'stock held';
    const ids = { orders: [r.orderId], skus: r.skus, customers: order ? [order.customerId] : [] };
    if (!order && settled(r.idleMs)) {
      const message = `reservation of order ${r.orderId} ${r.status} (${held}: ${r.skus.join(', ') || 'no lines'}), but no such order`;
      violations.push(violation('ghost-effect', message, ids));
    } else if (order?.status === 'CANCELLED' && r.status !== 'RELEASED' && settled(r.idleMs, order.idleMs)) {
      const message = `reservation of order ${r.orderId} still ${r.status} (${r.skus.join(', ')}), but the order is CANCELLED`;
      violations.push(violation('ghost-effect', message, ids));
    }
  }
  for (const p of payments) {
    const order = orders.get(p.orderId);
    const ids = { orders: [p.orderId], customers: [p.customerId], payments: [p.id] };
    if (!order && settled(p.idleMs)) {
      const message = `payment ${p.id} of order ${p.orderId} ${p.status} (customer ${p.customerId}, ${p.amountCents} cents), but no such order`;
      violations.push(violation('ghost-effect', message, ids));
    } else if (order?.status === 'CANCELLED' && p.status === 'COMPLETED' && settled(p.idleMs, order.idleMs)) {
      const message = `payment ${p.id} of order ${p.orderId} COMPLETED (customer ${p.customerId}, ${p.amountCents} cents, not refunded), but the order is CANCELLED`;
      violations.push(violation('ghost-effect', message, ids));
    }
  }

  const byOrder = <T extends { orderId: string }>(rows: T[]) => {
    const groups = new Map<string, T[]>();
    for (const row of rows) groups.set(row.orderId, [...(groups.get(row.orderId) ?? []), row]);
    return groups;
  };
  const completed = byOrder(payments.filter((p) => p.status === 'COMPLETED'));
  for (const [orderId, charges] of completed) {
    if (charges.length < 2) continue;
    const total = charges.reduce((sum, p) => sum + p.amountCents, 0);
    const message = `order ${orderId} has ${charges.length} completed payments (${charges.map((p) => p.id).join(', ')}; ${total} cents in all)`;
    violations.push(
      violation('double-effect', message, {
        orders: [orderId],
        customers: charges.map((p) => p.customerId),
        payments: charges.map((p) => p.id),
      }),
    );
  }
  const reserved = byOrder(reservations);
  for (const [orderId, rows] of reserved) {
    if (rows.length < 2) continue;
    const message = `order ${orderId} has ${rows.length} reservations (${rows.map((r) => r.status).join(', ')})`;
    violations.push(violation('double-effect', message, { orders: [orderId], skus: rows.flatMap((r) => r.skus) }));
  }

  for (const order of orders.values()) {
    if (order.status !== 'CONFIRMED') continue;
    const charges = completed.get(order.id) ?? [];
    const sold = (reserved.get(order.id) ?? []).filter((r) => r.status === 'SOLD');
    const mine = [...payments.filter((p) => p.orderId === order.id), ...(reserved.get(order.id) ?? [])];
    if (!settled(order.idleMs, ...mine.map((row) => row.idleMs))) continue;
    const missing: string[] = [];
    if (charges.length === 0) missing.push(`a completed payment (${describe(payments, order.id)})`);
    if (sold.length === 0) missing.push(`SOLD stock (${describeReservation(reserved.get(order.id))})`);
    if (missing.length === 0) continue;
    const message = `order ${order.id} (customer ${order.customerId}) CONFIRMED without ${missing.join(' and without ')}`;
    violations.push(
      violation('unbacked-confirmation', message, {
        orders: [order.id],
        customers: [order.customerId],
        skus: (reserved.get(order.id) ?? []).flatMap((r) => r.skus),
        payments: payments.filter((p) => p.orderId === order.id).map((p) => p.id),
      }),
    );
  }
  return violations;
}

function describe(payments: PaymentRow[], orderId: string): string {
  const mine = payments.filter((p) => p.orderId === orderId);
  return mine.length === 0 ? 'no payment' : `its payment is ${mine.map((p) => p.status).join(', ')}`;
}

function describeReservation(rows: ReservationRow[] | undefined): string {
  return !rows?.length ? 'no reservation' : `its reservation is ${rows.map((r) => r.status).join(', ')}`;
}
