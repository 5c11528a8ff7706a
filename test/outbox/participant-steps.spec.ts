import { randomUUID } from 'node:crypto';
import type { Envelope } from '@passo/contracts';
import { causeOf, InboxService, ParticipantSteps } from '@passo/outbox';
import { outboxFixture, ThingHappened, type OutboxFixture } from './fixtures/outbox-fixture';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('participant steps: inbox record, effects and caused messages in one transaction (real PostgreSQL)', () => {
  let f: OutboxFixture;
  let steps: ParticipantSteps;

  beforeEach(async () => {
    f = await outboxFixture();
    steps = new ParticipantSteps(new InboxService(), f.outbox, f.prisma, 'thing-service');
  });
  afterEach(() => f.close());

  const consumed = (traceparent: string | null): Envelope<ThingHappened> => ({
    ...{ id: randomUUID(), type: ThingHappened.name, occurredAt: new Date().toISOString() },
    ...{ correlationId: `order-${randomUUID()}`, causationId: null, traceparent },
    payload: { n: 1 },
  });
  const rows = (correlationId: string) =>
    f.db.query<{ causation_id: string; headers: { traceparent?: string } }>(
      `SELECT causation_id, headers FROM outbox_messages WHERE correlation_id = $1 ORDER BY sequence`,
      [correlationId],
    );

  it('emits messages caused by the consumed one: its id, correlation id and trace context', async () => {
    const message = consumed(TRACEPARENT);
    const result = await steps.run(causeOf(message, ThingHappened), async (_tx, emit) => {
      const first = await emit(ThingHappened, { n: 2 });
      await emit(ThingHappened, { n: 3 });
      return first;
    });

    expect(result).toMatchObject({
      duplicate: false,
      result: { correlationId: message.correlationId, causationId: message.id, traceparent: TRACEPARENT },
    });
    expect(await rows(message.correlationId)).toEqual([
      { causation_id: message.id, headers: { traceparent: TRACEPARENT } },
      { causation_id: message.id, headers: { traceparent: TRACEPARENT } },
    ]);
    const inbox = await f.db.query(`SELECT consumer, subject FROM inbox_messages WHERE message_id = $1`, [message.id]);
    expect(inbox).toEqual([{ consumer: 'thing-service', subject: ThingHappened.subject }]);
  });

  it('runs once per message: a redelivery is the duplicate marker, with nothing emitted again', async () => {
    const message = consumed(null);
    const step = () => steps.run(causeOf(message, ThingHappened), (_tx, emit) => emit(ThingHappened, { n: 2 }));

    expect((await step()).duplicate).toBe(false);
    expect(await step()).toEqual({ duplicate: true });
    expect(await rows(message.correlationId)).toEqual([{ causation_id: message.id, headers: {} }]);
  });

  it('rolls back the inbox record with the effects, so the retry runs the step', async () => {
    const message = consumed(null);
    const failing = steps.run(causeOf(message, ThingHappened), async (_tx, emit) => {
      await emit(ThingHappened, { n: 2 });
      throw new Error('use case failed');
    });

    await expect(failing).rejects.toThrow('use case failed');
    expect(await rows(message.correlationId)).toEqual([]);
    expect((await steps.run(causeOf(message, ThingHappened), async () => 'ran')).duplicate).toBe(false);
  });
});
