/**
 * A failure caused by the message itself, which no retry can change (a payload the use case must
 * refuse, a message the outbox cannot carry): the transport dead-letters it at once, with this
 * error's message as the reason. Anything else a handler throws is retried; see the transport's
 * error classification (transient infrastructure failures are retried without limit).
 */
export class MessageRejectedError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

export function isMessageRejected(error: unknown): error is MessageRejectedError {
  return error instanceof MessageRejectedError;
}
