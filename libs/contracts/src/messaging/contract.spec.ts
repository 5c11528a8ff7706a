import { z } from 'zod';
import { defineCommand, defineEvent } from './contract';
import { checkEnvelope } from './envelope';
import { OrderPlaced } from './orders';

describe('message contracts', () => {
  it('derive context and version from the subject', () => {
    expect(OrderPlaced).toMatchObject({ kind: 'event', name: 'OrderPlaced', context: 'orders', version: 1 });
  });

  it.each([
    ['orders.order-placed.v1', /not <context>.<kind>.<name>.v<N>/],
    ['orders.event.order-placed', /not <context>.<kind>.<name>.v<N>/],
    ['orders.command.order-placed.v1', /needs a ".event." subject/],
  ])('reject the malformed subject %s', (subject, error) => {
    expect(() => defineEvent('X', subject, z.object({}))).toThrow(error);
  });

  it('define commands on command subjects', () => {
    expect(defineCommand('ReserveStock', 'inventory.command.reserve-stock.v1', z.object({})).kind).toBe('command');
  });
});

describe('checkEnvelope', () => {
  const envelope = {
    id: '0b6f1d2e-8d9a-4b7e-9d1c-3f3a2b1c0d9e',
    type: 'OrderPlaced',
    occurredAt: '2026-11-25T10:00:00.000Z',
    correlationId: '0b6f1d2e-8d9a-4b7e-9d1c-3f3a2b1c0d9e',
    causationId: null,
    traceparent: null,
    payload: {
      orderId: '0b6f1d2e-8d9a-4b7e-9d1c-3f3a2b1c0d9e',
      customerId: 'alice',
      items: [{ sku: 'A', quantity: 1 }],
      sagaMode: 'choreography',
    },
  };

  it('accepts a valid envelope and returns the parsed payload', () => {
    expect(checkEnvelope(OrderPlaced, envelope)).toEqual({ ok: true, envelope });
  });

  it.each([
    ['garbage', 'not json at all', /envelope/],
    ['a missing id', { ...envelope, id: undefined }, /id/],
    ['another type', { ...envelope, type: 'StockReserved' }, /type StockReserved is not OrderPlaced/],
    ['a bad payload', { ...envelope, payload: { ...envelope.payload, items: [] } }, /payload/],
  ])('rejects %s with a reason, without throwing', (_case, raw, reason) => {
    const result = checkEnvelope(OrderPlaced, raw);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatch(reason);
  });
});
