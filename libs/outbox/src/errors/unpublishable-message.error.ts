import { MessageRejectedError } from './message-rejected.error';

/** What makes a message one the broker (or its consumers) would never take. */
export type UnpublishableProblem = 'header' | 'size' | 'envelope';

/**
 * Thrown by `OutboxService.add` for a message that could never be published: written, it would
 * park in the outbox (or, before parking existed, stop the relay). Thrown inside the caller's
 * transaction, it rolls the state change back with it; thrown from a handler, the transport
 * dead-letters the message that caused it at once (it is a MessageRejectedError).
 */
export class UnpublishableMessageError extends MessageRejectedError {
  constructor(
    readonly problem: UnpublishableProblem,
    message: string,
  ) {
    super(message);
  }
}
