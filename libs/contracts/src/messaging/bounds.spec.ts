import { randomUUID } from 'node:crypto';
import { MESSAGE_CONTRACTS } from './catalogue';
import { checkEnvelope, EnvelopeSchema, TraceparentSchema } from './envelope';
import { ReserveStock, StockReleased, StockReserved } from './inventory';
import { ConfirmOrder, OrderConfirmed, OrderPlaced } from './orders';
import { ChargePayment } from './payments';

const orderId = randomUUID();
const items = (count: number) => Array.from({ length: count }, (_, n) => ({ sku: `SKU-${n}`, quantity: 1 }));
const lines = (count: number) => items(count).map((item) => ({ ...item, priceCents: 100 }));
const reserve = (payload: object) =>
  ReserveStock.schema.safeParse({ orderId, sagaMode: 'orchestration', customerId: 'alice', ...payload });

describe('message schemas are bounded like the HTTP contract', () => {
  it('refuse a ReserveStock of 10,000 lines, accept 50, refuse 51', () => {
    expect(reserve({ items: items(10_000) }).success).toBe(false);
    expect(reserve({ items: items(50) }).success).toBe(true);
    expect(reserve({ items: items(51) }).success).toBe(false);
    expect(reserve({ items: [] }).success).toBe(false);
  });

  it('refuse a quantity above 10,000 and an over-long or unprintable sku', () => {
    expect(reserve({ items: [{ sku: 'A', quantity: 10_000 }] }).success).toBe(true);
    expect(reserve({ items: [{ sku: 'A', quantity: 10_001 }] }).success).toBe(false);
    expect(reserve({ items: [{ sku: 'A'.repeat(65), quantity: 1 }] }).success).toBe(false);
    expect(reserve({ items: [{ sku: 'A\r\nB', quantity: 1 }] }).success).toBe(false);
  });

  it('bound OrderPlaced items as the HTTP body is', () => {
    const placed = (count: number) =>
      OrderPlaced.schema.safeParse({ orderId, sagaMode: 'choreography', customerId: 'alice', items: items(count) });
    expect(placed(50).success).toBe(true);
    expect(placed(51).success).toBe(false);
  });

  it('bound reserved and released lines to 50 (released may be empty)', () => {
    const reserved = (count: number) =>
      StockReserved.schema.safeParse({
        orderId,
        sagaMode: 'choreography',
        customerId: 'alice',
        amountCents: 100,
        lines: lines(count),
      });
    const released = (count: number) =>
      StockReleased.schema.safeParse({ orderId, sagaMode: 'choreography', lines: lines(count) });
    expect(reserved(50).success).toBe(true);
    expect(reserved(51).success).toBe(false);
    expect(reserved(0).success).toBe(false);
    expect(released(0).success).toBe(true);
    expect(released(50).success).toBe(true);
    expect(released(51).success).toBe(false);
  });

  it('keep amounts and totals within the money range', () => {
    const max = 2_147_483_647;
    const charge = (amountCents: number) =>
      ChargePayment.schema.safeParse({ orderId, sagaMode: 'orchestration', customerId: 'alice', amountCents });
    expect(charge(max).success).toBe(true);
    expect(charge(max + 1).success).toBe(false);
    expect(OrderConfirmed.schema.safeParse({ orderId, sagaMode: 'choreography', totalCents: max + 1 }).success).toBe(
      false,
    );
    expect(ConfirmOrder.schema.safeParse({ orderId, sagaMode: 'orchestration', totalCents: -1 }).success).toBe(false);
  });
});

describe('the envelope', () => {
  const valid = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  const envelope = {
    id: randomUUID(),
    type: 'OrderPlaced',
    occurredAt: '2026-11-25T10:00:00.000Z',
    correlationId: orderId,
    causationId: null,
    traceparent: valid,
    payload: { orderId, customerId: 'alice', items: items(1), sagaMode: 'choreography' },
  };

  it('accepts a W3C traceparent', () => {
    expect(checkEnvelope(OrderPlaced, envelope)).toMatchObject({ ok: true, envelope: { traceparent: valid } });
    expect(EnvelopeSchema.safeParse({ ...envelope, traceparent: null }).success).toBe(true);
  });

  it.each([
    ['a CR/LF', `${valid}\r\nX-Injected: 1`],
    ['a bare LF', `00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba9\n2b7-01`],
    ['uppercase hex', valid.toUpperCase()],
    ['version ff', `ff${valid.slice(2)}`],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`],
    ['an all-zero parent id', `00-4bf92f3577b34da6a3ce929d0e0e4736-${'0'.repeat(16)}-01`],
    ['free text', 'hello'],
  ])('refuses a traceparent with %s, naming the field', (_case, traceparent) => {
    expect(TraceparentSchema.safeParse(traceparent).success).toBe(false);
    const result = checkEnvelope(OrderPlaced, { ...envelope, traceparent });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatch(/traceparent/);
  });

  it.each(['type', 'correlationId', 'causationId'])('bounds %s to 255 characters', (field) => {
    expect(EnvelopeSchema.safeParse({ ...envelope, [field]: 'x'.repeat(255) }).success).toBe(true);
    expect(EnvelopeSchema.safeParse({ ...envelope, [field]: 'x'.repeat(256) }).success).toBe(false);
  });
});

describe('the contract catalogue', () => {
  it('holds every contract once, commands and events of the three contexts', () => {
    const subjects = MESSAGE_CONTRACTS.map((c) => c.subject);
    expect(new Set(subjects).size).toBe(subjects.length);
    expect(subjects).toEqual(
      expect.arrayContaining([OrderPlaced.subject, ReserveStock.subject, ChargePayment.subject, StockReleased.subject]),
    );
    expect(MESSAGE_CONTRACTS).toHaveLength(16);
  });
});
