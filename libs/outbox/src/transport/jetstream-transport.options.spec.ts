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
    });
  });

  it.each<[Partial<JetStreamTransportOptions>, RegExp]>([
    [{ maxDeliver: 0 }, /maxDeliver must be an integer in 1\.\.100, got 0/],
    [{ maxDeliver: 101 }, /maxDeliver/],
    [{ maxDeliver: 2.5 }, /maxDeliver/],
    [{ concurrency: 0 }, /concurrency/],
    [{ ackWaitMs: 10 }, /ackWaitMs/],
    [{ backoffMs: [] }, /backoffMs/],
    [{ backoffMs: [100, -1] }, /backoffMs/],
    [{ consumer: 'inventory.service' }, /consumer "inventory\.service"/],
    [{ consumer: '' }, /consumer/],
    [{ contracts: [] }, /contracts/],
    [{ servers: [] }, /servers/],
    [{ topology: { prefix: 'a.b' } }, /prefix/],
  ])('refuses %p, naming the option', (bad, message) => {
    expect(() => resolveTransportOptions({ ...base, ...bad })).toThrow(message);
  });
});
