import { buildDeadLetter, describeError, MAX_ERROR_LENGTH, oneLine, type DeadLetterInput } from './dead-letter-message';
import { replayMsgId } from './dead-letter-admin';

const input = (overrides: Partial<DeadLetterInput> = {}): DeadLetterInput => ({
  subject: 't1.orders.event.order-placed.v1',
  stream: 'T1_ORDERS',
  streamSequence: 42,
  deliveryCount: 5,
  consumer: 'inventory-service',
  error: new Error('boom'),
  at: new Date('2026-11-25T10:00:00.000Z'),
  originalHeaders: [
    ['Nats-Msg-Id', 'msg-1'],
    ['Passo-Type', 'OrderPlaced'],
  ],
  ...overrides,
});

describe('buildDeadLetter', () => {
  it('names the original, the consumer, the deliveries, the reason and the time', () => {
    const { msgId, headers } = buildDeadLetter(input());
    expect(msgId).toBe('msg-1:inventory-service');
    expect(headers).toEqual([
      ['Passo-Type', 'OrderPlaced'],
      ['Passo-Original-Subject', 't1.orders.event.order-placed.v1'],
      ['Passo-Original-Msg-Id', 'msg-1'],
      ['Passo-Consumer', 'inventory-service'],
      ['Passo-Delivery-Count', '5'],
      ['Passo-Error', 'boom'],
      ['Passo-Dead-Lettered-At', '2026-11-25T10:00:00.000Z'],
    ]);
  });

  it('falls back to stream and sequence for a message published without an id', () => {
    expect(buildDeadLetter(input({ originalHeaders: [] })).msgId).toBe('T1_ORDERS:42:inventory-service');
  });

  it('does not copy broker headers or stale dead-letter headers of the original', () => {
    const { headers } = buildDeadLetter(
      input({
        originalHeaders: [
          ['Nats-Expected-Stream', 'X'],
          ['passo-error', 'old'],
          ['Passo-Type', 'OrderPlaced'],
        ],
      }),
    );
    expect(headers.filter(([key]) => /^nats-/i.test(key))).toEqual([]);
    expect(headers.filter(([key]) => key.toLowerCase() === 'passo-error')).toEqual([['Passo-Error', 'boom']]);
  });

  it('keeps the error on one line and bounded', () => {
    const long = buildDeadLetter(input({ error: new Error(`line one\r\n  line two ${'x'.repeat(5_000)}`) }));
    const error = long.headers.find(([key]) => key === 'Passo-Error')?.[1] ?? '';
    expect(error).toMatch(/^line one line two x+…$/);
    expect(error).toHaveLength(MAX_ERROR_LENGTH);
  });
});

describe('describeError', () => {
  it.each([
    [new Error('plain'), 'plain'],
    ['a string', 'a string'],
    [{ status: 'error', message: 'Internal server error' }, 'Internal server error'],
    [{ code: 7 }, '{"code":7}'],
    [undefined, 'undefined'],
  ])('%p → %p', (error, text) => expect(describeError(error)).toBe(text));

  it('leaves short one-line text alone', () => expect(oneLine('  ok  ')).toBe('ok'));
});

describe('replayMsgId', () => {
  it('is new per dead letter and does not nest replays', () => {
    expect(replayMsgId('msg-1', 7)).toBe('msg-1:replay:7');
    expect(replayMsgId('msg-1:replay:7', 9)).toBe('msg-1:replay:9');
  });
});
