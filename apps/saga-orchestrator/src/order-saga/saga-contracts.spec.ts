import { checkEnvelope } from '@passo/contracts';
import type { SagaCommand } from './order-saga.transition';
import { COMMAND_CONTRACTS, outgoing } from './saga-contracts';

const orderId = '0b6f1d2e-8d9a-4b7e-9d1c-3f3a2b1c0d9e';
const COMMANDS: SagaCommand[] = [
  { type: 'ReserveStock', orderId, customerId: 'alice', items: [{ sku: 'A', quantity: 1 }] },
  { type: 'ReleaseStock', orderId },
  { type: 'SellStock', orderId },
  { type: 'ChargePayment', orderId, customerId: 'alice', amountCents: 100 },
  { type: 'RefundPayment', orderId, paymentId: '5b6f1d2e-8d9a-4b7e-9d1c-3f3a2b1c0d9e' },
  { type: 'ConfirmOrder', orderId, totalCents: 100 },
  { type: 'CancelOrder', orderId, reason: 'TIMEOUT' },
];

describe('saga commands on the wire', () => {
  it('has one contract per command type, each a command subject', () => {
    expect(COMMAND_CONTRACTS.map((c) => c.name).sort()).toEqual(COMMANDS.map((c) => c.type).sort());
    expect(COMMAND_CONTRACTS.every((c) => c.kind === 'command')).toBe(true);
  });

  it.each(COMMANDS.map((c) => [c.type, c] as const))('%s: the decided command passes its contract', (type, command) => {
    const { contract, payload } = outgoing(command);
    const envelope = {
      ...{ id: orderId, type, occurredAt: new Date().toISOString(), correlationId: orderId, causationId: null },
      payload,
    };
    expect(checkEnvelope(contract, envelope)).toMatchObject({
      ok: true,
      envelope: { payload: { orderId, sagaMode: 'orchestration' } },
    });
  });
});
