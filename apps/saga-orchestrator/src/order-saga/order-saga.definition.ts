import type { CancellationReason } from '@passo/contracts';

/**
 * The order saga as data: the types it speaks and its step table. Pure: no Nest, no Prisma, no I/O.
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

export interface SagaStep {
  name: string;
  /** The status the saga is in while this step's command is outstanding. */
  status: 'RESERVING' | 'CHARGING' | 'CONFIRMING';
  command: (s: SagaState) => SagaCommand;
  onSuccess: SagaMessageType;
  onFailure: readonly SagaMessageType[];
  /** Undo of this step's effect, owed while the effect is known and not yet undone; null = nothing to undo. */
  compensation: ((s: SagaState) => SagaCommand | null) | null;
  /** True once the saga has passed the point of no return (the pivot): from here it only goes forward. */
  pivot: boolean;
}

export const ORDER_SAGA: readonly SagaStep[] = [
  {
    name: 'ReserveStock',
    status: 'RESERVING',
    command: (s) => ({ type: 'ReserveStock', orderId: s.orderId, customerId: s.customerId, items: s.items }),
    onSuccess: 'StockReserved',
    onFailure: ['StockReservationFailed'],
    compensation: (s) => (s.stockReserved && !s.releaseRequested ? { type: 'ReleaseStock', orderId: s.orderId } : null),
    pivot: false,
  },
  {
    name: 'ChargePayment',
    status: 'CHARGING',
    // CHARGING is entered only through StockReserved, which sets amountCents.
    command: (s) => ({
      type: 'ChargePayment',
      orderId: s.orderId,
      customerId: s.customerId,
      amountCents: s.amountCents ?? 0,
    }),
    onSuccess: 'PaymentCompleted',
    onFailure: ['PaymentFailed'],
    compensation: (s) =>
      s.paymentCompleted && s.paymentId !== null && !s.refundRequested
        ? { type: 'RefundPayment', orderId: s.orderId, paymentId: s.paymentId }
        : null,
    pivot: false,
  },
  {
    name: 'ConfirmOrder',
    status: 'CONFIRMING',
    command: (s) => ({ type: 'ConfirmOrder', orderId: s.orderId, totalCents: s.amountCents ?? 0 }),
    onSuccess: 'OrderConfirmed',
    onFailure: [],
    compensation: null,
    // Payment is taken and ConfirmOrder may already be applied: undoing now could leave a CONFIRMED order unpaid.
    pivot: true,
  },
];

/** After the last step succeeded: the reservation is sold (a fact nobody waits on, so no reply). */
export const onConfirmed = (s: SagaState): SagaCommand[] => [{ type: 'SellStock', orderId: s.orderId }];

/** Every failure (a step's failure reply or the deadline) ends here, after the owed compensations. */
export const cancelOrder = (s: SagaState, reason: CancellationReason): SagaCommand => ({
  type: 'CancelOrder',
  orderId: s.orderId,
  reason,
});

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
