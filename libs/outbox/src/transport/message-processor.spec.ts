import { OrderPlaced } from '@passo/contracts';
import { parseEnvelope } from './message-processor';

const encode = (value: unknown) => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));
const envelope = {
  id: '6f1c7e0c-58b4-4c7a-9f5a-0b8f0e6f6a11',
  type: 'OrderPlaced',
  occurredAt: '2026-11-25T10:00:00.000Z',
  correlationId: 'order-1',
  causationId: null,
  traceparent: null,
  payload: {
    orderId: '0d3f2f8e-3c1b-4a53-8d43-2d7c8e6b9a10',
    customerId: 'c-1',
    items: [{ sku: 'sku-1', quantity: 1 }],
    sagaMode: 'choreography',
  },
};

describe('parseEnvelope', () => {
  it('accepts a valid envelope', () => {
    expect(parseEnvelope(OrderPlaced, encode(envelope))).toEqual({ ok: true, envelope });
  });

  it.each([
    ['bytes that are not UTF-8', new Uint8Array([0xff, 0xfe, 0x7b]), /^body is not JSON/],
    ['text that is not JSON', encode('{"id":'), /^body is not JSON/],
    ['JSON that is not an envelope', encode({ hello: 1 }), /^envelope:/],
    ['another contract', encode({ ...envelope, type: 'StockReserved' }), /StockReserved is not OrderPlaced/],
    ['a payload failing the schema', encode({ ...envelope, payload: { ...envelope.payload, items: [] } }), /^payload:/],
  ])('rejects %s', (_name, data, error) => {
    const result = parseEnvelope(OrderPlaced, data);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatch(error);
  });
});
