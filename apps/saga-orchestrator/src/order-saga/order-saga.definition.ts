import type { CancellationReason } from '@passo/contracts';
import { acknowledge, cancel, goTo, type Learn, retry, type SagaDefinition, undoLate } from './saga-declaration';

/**
 * The order saga as data: the types it speaks and its table. Pure: no Nest, no Prisma, no I/O.
 * `order-saga.transition.ts` interprets the table; this file is what a reader checks against docs/ARCHITECTURE.md, "The saga".
 */

export interface SagaItem {
  sku: string;
  quantity: number;
}
export interface SagaLine extends SagaItem {
  priceCents: number;
}

export const ACTIVE_STATUSES = ['STARTED', 'RESERVING', 'CHARGING', 'CONFIRMING'] as const;
export const TERMINAL_STATUSES = ['CONFIRMED', 'CANCELLED'] as const;
export const SAGA_STATUSES = [...ACTIVE_STATUSES, ...TERMINAL_STATUSES] as const;
export type SagaStatus = (typeof SAGA_STATUSES)[number];

export interface SagaState {
  status: SagaStatus;
  orderId: string;
  customerId: string;
  items: SagaItem[];
  /** Priced by inventory (StockReserved); null until then. */
  amountCents: number | null;
  lines: SagaLine[] | null;
  paymentId: string | null;
  /** Facts learned from replies; never reset, so a duplicate reply is recognised as one. */
  stockReserved: boolean;
  paymentCompleted: boolean;
  /** Compensations already sent; each is sent at most once per saga. */
  releaseRequested: boolean;
  refundRequested: boolean;
  cancelReason: CancellationReason | null;
}

export type SagaMessage =
  | { type: 'OrderPlaced'; orderId: string; customerId: string; items: SagaItem[] }
  | { type: 'StockReserved'; amountCents: number; lines: SagaLine[] }
  | { type: 'StockReservationFailed'; reason: 'OUT_OF_STOCK' | 'UNKNOWN_SKU'; sku: string }
  | { type: 'StockReleased' }
  | { type: 'PaymentCompleted'; paymentId: string; amountCents: number }
  | { type: 'PaymentFailed'; reason: 'INSUFFICIENT_FUNDS' | 'UNKNOWN_CUSTOMER' }
  | { type: 'PaymentRefunded' }
  | { type: 'OrderConfirmed' }
  | { type: 'OrderCancelled' }
  | { type: 'DeadlinePassed' };
export type SagaMessageType = SagaMessage['type'];

export type SagaCommand =
  | { type: 'ReserveStock'; orderId: string; customerId: string; items: SagaItem[] }
  | { type: 'ReleaseStock'; orderId: string }
  | { type: 'ChargePayment'; orderId: string; customerId: string; amountCents: number }
  | { type: 'RefundPayment'; orderId: string; paymentId: string }
  | { type: 'ConfirmOrder'; orderId: string; totalCents: number }
  | { type: 'CancelOrder'; orderId: string; reason: CancellationReason }
  | { type: 'SellStock'; orderId: string };
export type SagaCommandType = SagaCommand['type'];

const placed: Learn<'OrderPlaced'> = ({ orderId, customerId, items }) => ({ orderId, customerId, items });
const reserved: Learn<'StockReserved'> = (m) => ({ stockReserved: true, amountCents: m.amountCents, lines: m.lines });
const paid: Learn<'PaymentCompleted'> = (m) => ({ paymentCompleted: true, paymentId: m.paymentId });
const theirReason = (m: { reason: CancellationReason }) => m.reason;

/**
 * The whole orchestrated saga: per state, what it sends, the step it waits on and its undo, and
 * what each message does there. A message a state does not name is ignored (a duplicate, a late or
 * an impossible reply), so redelivery can never move a saga backwards. docs/order-saga.md is this
 * table as `transition` runs it.
 */
export const ORDER_SAGA: SagaDefinition = {
  STARTED: {
    on: {
      OrderPlaced: goTo('RESERVING', placed),
      // OrderPlaced was seen but no command sent yet: nothing to undo.
      DeadlinePassed: cancel('TIMEOUT'),
    },
  },
  RESERVING: {
    step: {
      command: (s) => ({ type: 'ReserveStock', orderId: s.orderId, customerId: s.customerId, items: s.items }),
      compensation: {
        owed: (s) => s.stockReserved,
        command: (s) => ({ type: 'ReleaseStock', orderId: s.orderId }),
        sets: 'releaseRequested',
      },
    },
    on: {
      StockReserved: goTo('CHARGING', reserved),
      StockReservationFailed: cancel(theirReason),
      DeadlinePassed: cancel('TIMEOUT'),
    },
  },
  CHARGING: {
    step: {
      // CHARGING is entered only through StockReserved, which sets amountCents.
      command: (s) => ({
        type: 'ChargePayment',
        orderId: s.orderId,
        customerId: s.customerId,
        amountCents: s.amountCents ?? 0,
      }),
      compensation: {
        // Owed only once PaymentCompleted named the payment.
        owed: (s) => s.paymentCompleted && s.paymentId !== null,
        command: (s) => ({ type: 'RefundPayment', orderId: s.orderId, paymentId: s.paymentId ?? '' }),
        sets: 'refundRequested',
      },
    },
    on: {
      PaymentCompleted: goTo('CONFIRMING', paid),
      PaymentFailed: cancel(theirReason),
      DeadlinePassed: cancel('TIMEOUT'),
    },
  },
  CONFIRMING: {
    // The pivot: payment is taken and ConfirmOrder may already be applied, so nothing is undone
    // from here (that could leave a CONFIRMED order unpaid): the saga only goes forward.
    step: { command: (s) => ({ type: 'ConfirmOrder', orderId: s.orderId, totalCents: s.amountCents ?? 0 }) },
    on: {
      OrderConfirmed: goTo('CONFIRMED'),
      // ConfirmOrder is idempotent: retry it instead of undoing a paid order.
      DeadlinePassed: retry(),
    },
  },
  CONFIRMED: {
    // The reservation is sold: a fact nobody waits on, so no reply.
    onEntry: (s) => [{ type: 'SellStock', orderId: s.orderId }],
    on: {},
  },
  CANCELLED: {
    // Every failure (a step's failure reply or the deadline) ends here, after the owed compensations.
    onEntry: (s) => [{ type: 'CancelOrder', orderId: s.orderId, reason: s.cancelReason }],
    on: {
      // Effects that landed late: money or stock must not be kept.
      StockReserved: undoLate((s) => s.stockReserved, reserved),
      PaymentCompleted: undoLate((s) => s.paymentCompleted, paid),
      StockReleased: acknowledge(),
      PaymentRefunded: acknowledge(),
      OrderCancelled: acknowledge(),
    },
  },
};

export const emptySaga = (orderId: string): SagaState => ({
  status: 'STARTED',
  orderId,
  customerId: '',
  items: [],
  amountCents: null,
  lines: null,
  paymentId: null,
  stockReserved: false,
  paymentCompleted: false,
  releaseRequested: false,
  refundRequested: false,
  cancelReason: null,
});
