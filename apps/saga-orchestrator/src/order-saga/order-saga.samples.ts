import type { SagaMessage, SagaMessageType } from './order-saga.definition';

const items = [{ sku: 'SKU-1', quantity: 2 }];

/** One message of each type, as its participant would send it: for the specs and docs/order-saga.md. */
export const SAMPLE_MESSAGES = {
  OrderPlaced: { type: 'OrderPlaced', orderId: 'o-1', customerId: 'c-1', items },
  StockReserved: { type: 'StockReserved', amountCents: 1500, lines: [{ sku: 'SKU-1', quantity: 2, priceCents: 750 }] },
  StockReservationFailed: { type: 'StockReservationFailed', reason: 'OUT_OF_STOCK', sku: 'SKU-1' },
  StockReleased: { type: 'StockReleased' },
  PaymentCompleted: { type: 'PaymentCompleted', paymentId: 'p-1', amountCents: 1500 },
  PaymentFailed: { type: 'PaymentFailed', reason: 'INSUFFICIENT_FUNDS' },
  PaymentRefunded: { type: 'PaymentRefunded' },
  OrderConfirmed: { type: 'OrderConfirmed' },
  OrderCancelled: { type: 'OrderCancelled' },
  DeadlinePassed: { type: 'DeadlinePassed' },
} satisfies { [K in SagaMessageType]: Extract<SagaMessage, { type: K }> };
