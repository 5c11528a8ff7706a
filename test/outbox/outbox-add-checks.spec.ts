import { defineEvent } from '@passo/contracts';
import {
  DEFAULT_MAX_PAYLOAD_BYTES,
  MessageRejectedError,
  OutboxService,
  publishedBodyBytes,
  UnpublishableMessageError,
} from '@passo/outbox';
import { z } from 'zod';
import { natsConnection } from '../support/nats';
import { eventually } from '../support/eventually';
import { outboxFixture, ThingHappened, type OutboxFixture } from './fixtures/outbox-fixture';

/** A contract that carries text, so a test can make its body as big as it needs. */
const NoteTaken = defineEvent(
  'NoteTaken',
  'things.event.note-taken.v1',
  z.object({ text: z.string(), tags: z.array(z.object({ k: z.string(), v: z.number() })) }),
);

const VALID_TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('outbox.add refuses a message the relay could never publish (real PostgreSQL)', () => {
  let f: OutboxFixture;
  beforeEach(async () => {
    f = await outboxFixture();
  });
  afterEach(() => f.close());

  const rowCount = async () => (await f.db.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox_messages'))[0].n;

  /** A transaction that writes a good message first: the refusal must take it back too. */
  const attempt = (outbox: OutboxService, write: (tx: Parameters<OutboxService['add']>[0]) => Promise<unknown>) =>
    f.prisma.$transaction(async (tx) => {
      await outbox.add(tx, ThingHappened, { n: 1 }, { correlationId: 'fine' });
      await write(tx);
    });

  it.each([
    ['CR/LF', `${VALID_TRACEPARENT}\r\nX-Injected: yes`],
    ['free text', 'not-a-traceparent'],
    ['version ff', `ff${VALID_TRACEPARENT.slice(2)}`],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`],
  ])('refuses a traceparent with %s, and the transaction commits nothing', async (_, traceparent) => {
    const refused = attempt(f.outbox, (tx) =>
      f.outbox.add(tx, ThingHappened, { n: 2 }, { correlationId: 'c', traceparent }),
    );
    await expect(refused).rejects.toBeInstanceOf(UnpublishableMessageError);
    await expect(refused).rejects.toBeInstanceOf(MessageRejectedError);
    await expect(refused).rejects.toMatchObject({ problem: 'header', message: expect.stringMatching(/traceparent/) });
    expect(await rowCount()).toBe(0);
  });

  it('refuses a correlation id longer than the envelope allows', async () => {
    const refused = attempt(f.outbox, (tx) =>
      f.outbox.add(tx, ThingHappened, { n: 2 }, { correlationId: 'c'.repeat(256) }),
    );
    await expect(refused).rejects.toMatchObject({
      problem: 'envelope',
      message: expect.stringMatching(/correlationId/),
    });
    expect(await rowCount()).toBe(0);
  });

  it('refuses a body above maxPayloadBytes (default 64 KiB), naming both sizes', async () => {
    const big = { text: 'x'.repeat(DEFAULT_MAX_PAYLOAD_BYTES), tags: [] };
    const refused = attempt(f.outbox, (tx) => f.outbox.add(tx, NoteTaken, big, { correlationId: 'c' }));
    await expect(refused).rejects.toBeInstanceOf(UnpublishableMessageError);
    await expect(refused).rejects.toMatchObject({
      problem: 'size',
      message: expect.stringMatching(/NoteTaken: the published message would be \d+ bytes, above the limit of 65536/),
    });
    expect(await rowCount()).toBe(0);

    const strict = new OutboxService({ ...f.options, maxPayloadBytes: 300 });
    await expect(
      attempt(strict, (tx) => strict.add(tx, NoteTaken, { text: 'y'.repeat(300), tags: [] }, { correlationId: 'c' })),
    ).rejects.toMatchObject({ problem: 'size' });
    expect(await rowCount()).toBe(0);
  });

  it('accepts a valid traceparent, and measures the body exactly as the relay sends it', async () => {
    f.relay().start();
    const payload = {
      text: 'héllo, "world": [1, 2]',
      tags: [
        { k: 'a', v: 1 },
        { k: 'b', v: 2.5 },
      ],
    };
    const envelope = await f.prisma.$transaction((tx) =>
      f.outbox.add(tx, NoteTaken, payload, { correlationId: 'c', traceparent: VALID_TRACEPARENT }),
    );
    const jsm = await (await natsConnection()).jetstreamManager();
    const stream = f.topology.stream('things').name;
    const stored = await eventually(() =>
      jsm.streams.getMessage(stream, { last_by_subj: f.topology.subject(NoteTaken) }),
    );
    expect(stored.header?.get('traceparent')).toBe(VALID_TRACEPARENT);
    expect(stored.data.length).toBe(publishedBodyBytes(envelope));
  });
});
