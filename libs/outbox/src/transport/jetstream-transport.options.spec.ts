import { OrderPlaced } from '@passo/contracts';
import { resolveTransportOptions, type JetStreamTransportOptions } from './jetstream-transport.options';

const base: JetStreamTransportOptions = {
  servers: 'nats://127.0.0.1:4222',
  consumer: 'inventory-service',
  contracts: [OrderPlaced],
};

describe('resolveTransportOptions', () => {
  it('applies the documented defaults', () => {
    expect(resolveTransportOptions(base)).toMatchObject({
      servers: ['nats://127.0.0.1:4222'],
      maxDeliver: 5,
      backoffMs: [1_000, 2_000, 4_000, 8_000, 16_000],
      ackWaitMs: 30_000,
      concurrency: 16,
      closeTimeoutMs: 10_000,
      transientBackoff: { initialMs: 500, maxMs: 20_000 },
      probeTimeoutMs: 5_000,
      maxMessageBytes: 65_536,
      skippedAckDelayMs: 20,
    });
  });

  it('keeps maxMs at least initialMs when only initialMs is given', () => {
    expect(resolveTransportOptions({ ...base, transientBackoff: { initialMs: 30_000 } }).transientBackoff).toEqual({
      initialMs: 30_000,
      maxMs: 30_000,
    });
  });

  it.each<[Partial<JetStreamTransportOptions>, RegExp]>([
    [{ maxDeliver: 0 }, /maxDeliver must be an integer in 1\.\.100, got 0/],
    [{ maxDeliver: 101 }, /maxDeliver/],
    [{ maxDeliver: 2.5 }, /maxDeliver/],
    [{ concurrency: 0 }, /concurrency/],
    [{ ackWaitMs: 10 }, /ackWaitMs/],
    [{ skippedAckDelayMs: 501 }, /skippedAckDelayMs must be an integer in 0\.\.500, got 501/],
    [{ backoffMs: [] }, /backoffMs/],
    [{ backoffMs: [100, -1] }, /backoffMs/],
    [{ consumer: 'inventory.service' }, /consumer "inventory\.service"/],
    [{ consumer: '' }, /consumer/],
    [{ contracts: [] }, /contracts/],
    [{ servers: [] }, /servers/],
    [{ topology: { prefix: 'a.b' } }, /prefix/],
    [{ transientBackoff: { initialMs: 0 } }, /transientBackoff\.initialMs must be an integer in 1\.\.60000, got 0/],
    [
      { transientBackoff: { initialMs: 1_000, maxMs: 500 } },
      /transientBackoff\.maxMs must be an integer in 1000\.\.600000/,
    ],
    [{ transientBackoff: { maxMs: 1.5 } }, /transientBackoff\.maxMs/],
    [{ probeTimeoutMs: 0 }, /probeTimeoutMs/],
    [{ maxMessageBytes: 0 }, /maxMessageBytes must be an integer in 1\.\.67108864, got 0/],
    [{ maxMessageBytes: 128 * 1024 * 1024 }, /maxMessageBytes/],
    [{ probe: 'SELECT 1' as never }, /probe must be a function/],
  ])('refuses %p, naming the option', (bad, message) => {
    expect(() => resolveTransportOptions({ ...base, ...bad })).toThrow(message);
  });
});
