import type { FactoryProvider, InjectionToken } from '@nestjs/common';
import type { Envelope, MessageContract } from '@passo/contracts';
import { OutboxService } from '../outbox/outbox.service';
import type { SqlExecutor } from '../sql';
import type { TransactionRunner } from '../unit-of-work/unit-of-work';
import { type HandleResult, InboxService, type MessageCause } from './inbox.service';

/** The consumed message a participant's step runs for: its inbox key, and what its answers carry on. */
export interface StepCause extends MessageCause {
  /** The saga's correlation id (the order id): every message the step emits keeps it. */
  correlationId: string;
  /** The consumed message's W3C trace context: every message the step emits carries it on. */
  traceparent: string | null;
}

/** The cause of a step run for `message`, consumed as `contract` (the inbox records the contract's subject). */
export function causeOf(message: Envelope, contract: MessageContract): StepCause {
  const { id, correlationId, traceparent } = message;
  return { id, subject: contract.subject, correlationId, traceparent };
}

/** Adds a message to the step's transaction, caused by the consumed one. */
export type Emit = <P>(contract: MessageContract<P>, payload: P) => Promise<Envelope<P>>;

/**
 * One way to write a participant's step: the inbox record, the use case's effects and the messages
 * it emits in one transaction (the consumed batch's, when the transport runs it in a unit of work),
 * each emitted message caused by the consumed one — its id as causation, its correlation id and
 * trace context carried on — so no use case spells that meta itself, nor forgets part of it.
 */
export class ParticipantSteps<Tx extends SqlExecutor = SqlExecutor> {
  constructor(
    private readonly inbox: InboxService,
    private readonly outbox: OutboxService,
    private readonly db: TransactionRunner<Tx>,
    /** The app's inbox consumer name. */
    readonly consumer: string,
  ) {}

  /** See InboxService.dedups: false only in the dual-write lab with `inbox: off`. */
  get dedups(): boolean {
    return this.inbox.dedups;
  }

  /** Runs `effects` once per consumed message (see InboxService.handle): its result, or the duplicate marker. */
  run<R>(cause: StepCause, effects: (tx: Tx, emit: Emit) => Promise<R>): Promise<HandleResult<R>> {
    const meta = { correlationId: cause.correlationId, causationId: cause.id, traceparent: cause.traceparent };
    return this.inbox.handle(this.db, this.consumer, cause, (tx) =>
      effects(tx, (contract, payload) => this.outbox.add(tx, contract, payload, meta)),
    );
  }
}

/**
 * The app's ParticipantSteps, for its module's providers: `participantSteps('inventory-service',
 * PrismaClient)` — the inbox consumer name and the client whose transactions the steps run in.
 */
export function participantSteps(consumer: string, db: InjectionToken): FactoryProvider<ParticipantSteps> {
  return {
    provide: ParticipantSteps,
    inject: [InboxService, OutboxService, db],
    useFactory: (inbox: InboxService, outbox: OutboxService, client: TransactionRunner<SqlExecutor>) =>
      new ParticipantSteps(inbox, outbox, client, consumer),
  };
}
