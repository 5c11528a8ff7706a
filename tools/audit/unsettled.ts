import type { OrderRow, OutboxRow, PaymentRow, ReservationRow } from './snapshot';
import { seconds, violation } from './violation';
import type { Violation } from './types';

/** What the databases hold about one unsettled order. */
export interface UnsettledFacts {
  order: OrderRow;
  outbox: OutboxRow[];
  reservation?: ReservationRow;
  payment?: PaymentRow;
  /** The orchestrator's saga state; null when there is none, undefined when its database was not read. */
  sagaState?: string | null;
  /** How long the relay keeps published rows (AuditOptions.retentionMs): past that, a missing row proves nothing. */
  retentionMs: number;
}

const DAY_MS = 86_400_000;
const duration = (ms: number) => (ms === DAY_MS ? 'a day' : ms % DAY_MS === 0 ? `${ms / DAY_MS} days` : seconds(ms));

/**
 * Why a saga did not settle, as far as the data shows: a message still in an outbox first (the
 * link that broke), else the furthest step whose effect was recorded and the step that did not
 * follow. Nothing in the databases tells a message dead-lettered from one never consumed.
 */
export function whyUnsettled({ order, outbox, reservation, payment, sagaState, retentionMs }: UnsettledFacts): string {
  const stuck = outbox.filter((row) => !row.published);
  const saga =
    sagaState === undefined || order.sagaMode !== 'orchestration'
      ? ''
      : sagaState === null
        ? '; no saga in saga-orchestrator'
        : `; its saga is ${sagaState}`;
  if (stuck.length > 0) {
    const where = stuck.map((row) =>
      row.parked
        ? `${row.type} parked in ${row.service}'s outbox (${row.lastError ?? 'no error recorded'})`
        : `${row.type} never published (still in ${row.service}'s outbox)`,
    );
    return where.join('; ') + saga;
  }
  const placed = outbox.some((row) => row.type === 'OrderPlaced');
  if (!placed && !reservation && !payment && !sagaState) {
    return order.ageMs > retentionMs
      ? `no OrderPlaced left in order-service's outbox (published rows are deleted after ${duration(retentionMs)}), no reservation${saga}`
      : `no OrderPlaced recorded (nothing in order-service's outbox, no reservation)${saga}`;
  }
  return effects(outbox, reservation, payment) + saga;
}

function effects(outbox: OutboxRow[], reservation?: ReservationRow, payment?: PaymentRow): string {
  if (payment?.status === 'COMPLETED') return 'payment completed but order not settled';
  if (payment) return `payment ${payment.status.toLowerCase()} but order not cancelled`;
  if (reservation?.status === 'SOLD') return 'stock sold but order not confirmed';
  if (reservation?.status === 'RELEASED') return 'stock released but order not cancelled';
  if (reservation?.status === 'RESERVED') return 'stock reserved but no payment';
  if (outbox.some((row) => row.type === 'StockReservationFailed'))
    return 'stock reservation failed but order not cancelled';
  return outbox.some((row) => row.type === 'OrderPlaced')
    ? 'OrderPlaced published, but no reservation recorded'
    : 'no reservation recorded';
}

export function unsettledViolation(facts: UnsettledFacts, limitMs: number): Violation {
  const { order, payment } = facts;
  const message =
    `order ${order.id} (${order.sagaMode}, customer ${order.customerId}) PENDING for ${seconds(order.ageMs)}, ` +
    `deadline ${seconds(limitMs)}: ${whyUnsettled(facts)}`;
  return violation('unsettled-order', message, {
    orders: [order.id],
    customers: [order.customerId],
    skus: facts.reservation?.skus,
    payments: payment ? [payment.id] : [],
  });
}
