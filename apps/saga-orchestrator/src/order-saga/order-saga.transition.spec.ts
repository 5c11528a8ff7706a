import { SAGA_STATUSES, TERMINAL_STATUSES, type SagaCommandType } from './order-saga.definition';
import { SAMPLE_MESSAGES } from './order-saga.samples';
import { emptySaga, transition, type SagaCommand, type SagaMessage, type SagaState } from './order-saga.transition';

const items = SAMPLE_MESSAGES.OrderPlaced.items;
const M = SAMPLE_MESSAGES;
const ALL_MESSAGES: SagaMessage[] = Object.values(M);

/** given: the saga after these messages (commands they produced are discarded). */
const given = (...messages: SagaMessage[]): SagaState =>
  messages.reduce((s, m) => transition(s, m).state, emptySaga('o-1'));
const types = (commands: SagaCommand[]) => commands.map((c) => c.type);

describe('order saga transition', () => {
  it('happy path: OrderPlaced → ReserveStock → ChargePayment → ConfirmOrder → CONFIRMED', () => {
    let r = transition(emptySaga('o-1'), M.OrderPlaced);
    expect(r.state.status).toBe('RESERVING');
    expect(r.commands).toEqual([{ type: 'ReserveStock', orderId: 'o-1', customerId: 'c-1', items }]);
    r = transition(r.state, M.StockReserved);
    expect(r.state).toMatchObject({ status: 'CHARGING', amountCents: 1500, lines: M.StockReserved.lines });
    expect(r.commands).toEqual([{ type: 'ChargePayment', orderId: 'o-1', customerId: 'c-1', amountCents: 1500 }]);
    r = transition(r.state, M.PaymentCompleted);
    expect(r.state).toMatchObject({ status: 'CONFIRMING', paymentId: 'p-1', paymentCompleted: true });
    expect(r.commands).toEqual([{ type: 'ConfirmOrder', orderId: 'o-1', totalCents: 1500 }]);
    r = transition(r.state, M.OrderConfirmed);
    expect(r.state).toMatchObject({ status: 'CONFIRMED', cancelReason: null });
    expect(r.commands).toEqual([{ type: 'SellStock', orderId: 'o-1' }]);
  });

  it.each(['OUT_OF_STOCK', 'UNKNOWN_SKU'] as const)('stock fails (%s): cancel, nothing to release', (reason) => {
    const r = transition(given(M.OrderPlaced), { ...M.StockReservationFailed, reason });
    expect(r.state).toMatchObject({ status: 'CANCELLED', cancelReason: reason });
    expect(r.commands).toEqual([{ type: 'CancelOrder', orderId: 'o-1', reason }]);
  });

  it.each(['INSUFFICIENT_FUNDS', 'UNKNOWN_CUSTOMER'] as const)('payment fails (%s): release, then cancel', (reason) => {
    const r = transition(given(M.OrderPlaced, M.StockReserved), { type: 'PaymentFailed', reason });
    expect(r.state).toMatchObject({ status: 'CANCELLED', cancelReason: reason, releaseRequested: true });
    expect(r.commands).toEqual([
      { type: 'ReleaseStock', orderId: 'o-1' },
      { type: 'CancelOrder', orderId: 'o-1', reason },
    ]);
  });

  it.each([
    ['STARTED', [], ['CancelOrder']],
    ['RESERVING', [M.OrderPlaced], ['CancelOrder']],
    ['CHARGING', [M.OrderPlaced, M.StockReserved], ['ReleaseStock', 'CancelOrder']],
  ] as const)('deadline in %s: compensates %j and cancels with TIMEOUT', (_status, history, expected) => {
    const r = transition(given(...history), M.DeadlinePassed);
    expect(r.state).toMatchObject({ status: 'CANCELLED', cancelReason: 'TIMEOUT' });
    expect(types(r.commands)).toEqual(expected);
    expect(r.commands.at(-1)).toEqual({ type: 'CancelOrder', orderId: 'o-1', reason: 'TIMEOUT' });
  });

  it('deadline in CONFIRMING (past the pivot): retries ConfirmOrder, never refunds a paid order', () => {
    const r = transition(given(M.OrderPlaced, M.StockReserved, M.PaymentCompleted), M.DeadlinePassed);
    expect(r.state.status).toBe('CONFIRMING');
    expect(r.commands).toEqual([{ type: 'ConfirmOrder', orderId: 'o-1', totalCents: 1500 }]);
  });

  it('late PaymentCompleted after a timeout: refunds once', () => {
    const r = transition(given(M.OrderPlaced, M.StockReserved, M.DeadlinePassed), M.PaymentCompleted);
    expect(r.state).toMatchObject({ status: 'CANCELLED', cancelReason: 'TIMEOUT', refundRequested: true });
    expect(r.commands).toEqual([{ type: 'RefundPayment', orderId: 'o-1', paymentId: 'p-1' }]);
    expect(transition(r.state, M.PaymentCompleted).commands).toEqual([]);
  });

  it('late StockReserved after a cancel: releases once', () => {
    const r = transition(given(M.OrderPlaced, M.DeadlinePassed), M.StockReserved);
    expect(r.state).toMatchObject({ status: 'CANCELLED', stockReserved: true, releaseRequested: true });
    expect(r.commands).toEqual([{ type: 'ReleaseStock', orderId: 'o-1' }]);
    expect(transition(r.state, M.StockReserved).commands).toEqual([]);
  });

  it.each([
    ['OrderPlaced while RESERVING', [M.OrderPlaced], M.OrderPlaced],
    ['StockReserved while CHARGING', [M.OrderPlaced, M.StockReserved], M.StockReserved],
    ['PaymentCompleted while CONFIRMING', [M.OrderPlaced, M.StockReserved, M.PaymentCompleted], M.PaymentCompleted],
    ['PaymentFailed after PaymentCompleted', [M.OrderPlaced, M.StockReserved, M.PaymentCompleted], M.PaymentFailed],
    ['ReleaseStock owed once', [M.OrderPlaced, M.StockReserved, M.PaymentFailed], M.StockReserved],
    [
      'OrderConfirmed while CONFIRMED',
      [M.OrderPlaced, M.StockReserved, M.PaymentCompleted, M.OrderConfirmed],
      M.OrderConfirmed,
    ],
  ] as const)('duplicate %s is ignored', (_name, history, message) => {
    const before = given(...history);
    const r = transition(before, message);
    expect(r).toEqual({ state: before, commands: [], log: expect.stringContaining('ignored') });
  });
});

/** Which commands each resulting status may carry: a command never contradicts the state it comes with. */
const ALLOWED: Record<SagaState['status'], SagaCommandType[]> = {
  STARTED: [],
  RESERVING: ['ReserveStock'],
  CHARGING: ['ChargePayment'],
  CONFIRMING: ['ConfirmOrder'],
  CONFIRMED: ['SellStock'],
  CANCELLED: ['ReleaseStock', 'RefundPayment', 'CancelOrder'],
};

/** One reachable state per status, plus hand-made odd ones (flags a real run would not produce). */
const SAMPLES: SagaState[] = [
  ...[[], [M.OrderPlaced], [M.OrderPlaced, M.StockReserved], [M.OrderPlaced, M.StockReserved, M.PaymentCompleted]].map(
    (h) => given(...h),
  ),
  given(M.OrderPlaced, M.StockReserved, M.PaymentCompleted, M.OrderConfirmed),
  given(M.OrderPlaced, M.StockReservationFailed),
  given(M.OrderPlaced, M.StockReserved, M.DeadlinePassed),
  ...SAGA_STATUSES.map((status) => ({ ...given(M.OrderPlaced), status, stockReserved: true, paymentCompleted: true })),
];

describe('exhaustive: every sampled state × every message', () => {
  const pairs = SAMPLES.flatMap((s) => ALL_MESSAGES.map((m) => [s.status, m.type, s, m] as const));
  it.each(pairs)('%s × %s', (_status, _type, state, message) => {
    expect.hasAssertions();
    const r = transition(state, message);
    const terminal = (TERMINAL_STATUSES as readonly string[]).includes(state.status);
    // Terminal states are final.
    if (terminal) expect(r.state.status).toBe(state.status);
    // No command contradicts the state it comes with.
    expect(r.commands.map((c) => c.type).filter((type) => !ALLOWED[r.state.status].includes(type))).toEqual([]);
    for (const c of r.commands) expect(ALLOWED[r.state.status]).toContain(c.type);
    // A message that changes nothing says why (ignored, or merely acknowledged).
    const noop = r.state === state && r.commands.length === 0;
    expect(r.log).toEqual(noop ? expect.stringMatching(/ignored|acknowledged/) : expect.any(String));
    if (noop) expect(r.log).toMatch(/ignored|acknowledged/);
  });
});

describe('every run of up to 5 messages keeps the invariants', () => {
  it('no money or stock kept for a cancelled order, no effect twice, terminal states final', () => {
    const violations = new Set<string>();
    const check = (ok: boolean, what: string) => ok || violations.add(what);
    let runs = 0;
    // `world` is what participants really did (a reply only counts once its command was sent), judged
    // independently of what the saga chose to remember, so ignoring a real reply cannot hide a leak.
    type World = { paid: boolean; reserved: boolean };
    type Sent = Partial<Record<SagaCommandType, number>>;
    const walk = (state: SagaState, sent: Sent, world: World, depth: number): void => {
      runs++;
      const n = (t: SagaCommandType) => sent[t] ?? 0;
      if (state.status === 'CANCELLED') {
        check(!world.paid || n('RefundPayment') === 1, 'cancelled with money kept');
        check(!world.reserved || n('ReleaseStock') === 1, 'cancelled with stock kept');
        check(n('ConfirmOrder') === 0, 'cancelled after ConfirmOrder');
      }
      check(state.status !== 'CONFIRMED' || n('CancelOrder') + n('RefundPayment') === 0, 'confirmed yet undone');
      check(state.status !== 'CONFIRMED' || n('SellStock') === 1, 'confirmed with stock left reserved');
      check(n('SellStock') === 0 || n('ReleaseStock') === 0, 'stock both sold and released');
      const sagaCommands = [
        'ReserveStock',
        'ChargePayment',
        'RefundPayment',
        'ReleaseStock',
        'CancelOrder',
        'SellStock',
      ];
      for (const t of sagaCommands as SagaCommandType[]) {
        check(n(t) <= 1, `${t} sent twice`);
      }
      if (depth === 0) return;
      for (const m of ALL_MESSAGES) {
        const r = transition(state, m);
        const terminal = state.status === 'CONFIRMED' || state.status === 'CANCELLED';
        check(!terminal || r.state.status === state.status, `${state.status} left by ${m.type}`);
        const confirms = r.commands.some((c) => c.type === 'ConfirmOrder');
        check(!confirms || r.state.paymentCompleted, 'ConfirmOrder without payment');
        const next = { ...sent };
        for (const c of r.commands) next[c.type] = (next[c.type] ?? 0) + 1;
        walk(
          r.state,
          next,
          {
            paid: world.paid || (m.type === 'PaymentCompleted' && n('ChargePayment') > 0),
            reserved: world.reserved || (m.type === 'StockReserved' && n('ReserveStock') > 0),
          },
          depth - 1,
        );
      }
    };
    walk(emptySaga('o-1'), {}, { paid: false, reserved: false }, 5);
    expect(runs).toBe(111_111);
    expect([...violations]).toEqual([]);
  });
});
