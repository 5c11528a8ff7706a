import { randomUUID } from 'node:crypto';
import { joinUnitOfWork, OutboxRelayService, OutboxService, runInUnitOfWork } from '@passo/outbox';
import { eventually } from '../support/eventually';
import { outboxFixture, type OutboxFixture, ThingHappened } from './fixtures/outbox-fixture';

/**
 * Rows committed in the relay's own process are published at once: no NOTIFY here, and a poll
 * interval of a minute, so only the in-process wake-up can publish them within the test's wait.
 */
describe('relay woken in-process', () => {
  let f: OutboxFixture;
  let outbox: OutboxService;
  let service: OutboxRelayService;

  beforeAll(async () => {
    f = await outboxFixture();
    const options = { ...f.options, notify: false, relay: { ...f.options.relay, pollIntervalMs: 60_000 } };
    outbox = new OutboxService(options);
    service = new OutboxRelayService(options, outbox);
    service.onApplicationBootstrap();
    await eventually(async () => service.relay!.active);
  });
  afterAll(async () => {
    await service?.onApplicationShutdown();
    await f?.close();
  });

  const publishedIds = async () => (await f.published()).map((m) => m.id);

  it('publishes a row written with addAlong without waiting for a poll', async () => {
    const key = `k-${randomUUID()}`;
    const statement = {
      ctes: `noted AS (INSERT INTO settings (key, value, updated_at) VALUES ($1, 'x', now()) RETURNING key)`,
      returning: 'noted',
      values: [key],
    };
    const { envelope } = await outbox.addAlong(f.prisma, statement, ThingHappened, { n: 1 }, { correlationId: key });
    await eventually(async () => (await publishedIds()).includes(envelope.id), 10_000);
  });

  it('publishes the rows of a unit of work once it commits', async () => {
    const envelope = await runInUnitOfWork(f.prisma, () =>
      joinUnitOfWork(f.prisma)!.step((tx) => outbox.add(tx, ThingHappened, { n: 2 }, { correlationId: 'c2' })),
    );
    await eventually(async () => (await publishedIds()).includes(envelope.id), 10_000);
  });
});
