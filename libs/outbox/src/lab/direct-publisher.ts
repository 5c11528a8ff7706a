import { connect, headers as natsHeaders, type JetStreamClient, type NatsConnection } from 'nats';
import type { Envelope } from '@passo/contracts';
import { ensureStreams } from '../jetstream/streams';
import { Topology } from '../jetstream/topology';
import { natsConnectOptions } from '../nats/nats-connect';
import type { OutboxOptions } from '../outbox/outbox.options';
import { type Lab, LabFaultError } from './lab';

/** A publish straight to JetStream, with no table in between: what the naive deliveries use. */
export class DirectPublisher {
  private connecting?: Promise<{ nats: NatsConnection; js: JetStreamClient }>;

  constructor(
    private readonly options: OutboxOptions,
    private readonly lab: Lab,
    private readonly name: string,
  ) {}

  /** Publishes `envelope` on `subject`, or throws (the failpoint `publishFails` as well). */
  async publish(subject: string, envelope: Envelope): Promise<void> {
    if (this.lab.fires('publishFails')) throw new LabFaultError('publishFails', `publishing ${envelope.type}`);
    const { js } = await this.connection();
    const h = natsHeaders();
    h.set('Passo-Type', envelope.type);
    if (envelope.traceparent) h.set('traceparent', envelope.traceparent);
    await js.publish(subject, JSON.stringify(envelope), { msgID: envelope.id, headers: h });
  }

  async close(): Promise<void> {
    const connection = await this.connecting?.catch(() => undefined);
    await connection?.nats.drain().catch(() => undefined);
  }

  private connection(): Promise<{ nats: NatsConnection; js: JetStreamClient }> {
    this.connecting ??= (async () => {
      const { natsServers, natsCredentials, contracts, topology } = this.options;
      const nats = await connect(natsConnectOptions(natsServers, this.name, natsCredentials));
      await ensureStreams(await nats.jetstreamManager(), new Topology(topology), contracts);
      return { nats, js: nats.jetstream({ timeout: 5_000 }) };
    })();
    // A failed connect is tried again by the next publish.
    this.connecting.catch(() => (this.connecting = undefined));
    return this.connecting;
  }
}
