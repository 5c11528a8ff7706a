import type { Envelope } from '@passo/contracts';
import { listDeadLetters, type DeadLetter, type Topology } from '@passo/outbox';
import type { JetStreamManager } from 'nats';
import { eventually } from './eventually';

/**
 * The command as if sent for a choreographed order. The schema admits only 'orchestration': the
 * cast builds the bug the transport must refuse.
 */
export function asChoreographed<P>(command: Envelope<P>): Envelope<P> {
  return { ...command, payload: { ...command.payload, sagaMode: 'choreography' } } as Envelope<P>;
}

/** The dead letter of the message published under `msgId`, once its consumer has filed it. */
export async function deadLetterOf(jsm: JetStreamManager, topology: Topology, msgId: string): Promise<DeadLetter> {
  const found = await eventually(async () =>
    (await listDeadLetters(jsm, topology, { limit: 100 })).find((letter) => letter.originalMsgId === msgId),
  );
  return found!;
}

/** Refused at its first delivery, not retried: a wrong sagaMode is a bug no retry can fix. */
export function expectSagaModeRefused(letter: DeadLetter, filed: { consumer: string; originalSubject: string }): void {
  expect(letter).toMatchObject({ ...filed, deliveryCount: 1 });
  expect(letter.error).toMatch(/^invalid message: payload: .*sagaMode/);
}
