export * from './errors/classify';
export * from './errors/message-rejected.error';
export * from './errors/unpublishable-message.error';
export * from './inbox/inbox.service';
export * from './inbox/participant-step';
export * from './jetstream/streams';
export * from './jetstream/topology';
export * from './outbox.module';
export * from './outbox/outbox.options';
export * from './outbox/outbox.service';
export * from './outbox/outbox-relay';
export * from './outbox/outbox-relay.service';
export * from './outbox/parked';
export { DEFAULT_MAX_PAYLOAD_BYTES, publishedBodyBytes } from './outbox/publishable';
export * from './printable';
export * from './sql';
export {
  DeadLetterHeader,
  buildDeadLetter,
  type DeadLetterInput,
  type DeadLetterMessage,
} from './transport/dead-letter-message';
export * from './transport/dead-letter-admin';
export * from './transport/dead-letter-bulk-replay';
export * from './transport/jetstream.context';
export * from './transport/jetstream.transport';
export * from './transport/jetstream-transport.options';
export * from './transport/on-message.decorator';
export * from './nats/nats-connect';
export * from './unit-of-work/unit-of-work';
export * from './unit-of-work/batched-effect';
export * from './unit-of-work/coalesced-calls';
export * from './lab/lab';
