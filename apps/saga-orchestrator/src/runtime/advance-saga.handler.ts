import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { type Emit, inUnitOfWork, OutboxService, ParticipantSteps, type StepCause } from '@passo/outbox';
import { type Prisma, PrismaClient } from '@passo/prisma/orchestrator';
import { ACTIVE_STATUSES } from '../order-saga/order-saga.definition';
import { emptySaga, transition, type SagaMessage, type SagaState } from '../order-saga/order-saga.transition';
import { outgoing } from '../order-saga/saga-contracts';
import { SagaMetrics } from './saga-metrics';
import { SagasRepository, type SavedSaga, type StepRecord, VersionConflict } from './sagas.repository';

const MAX_ATTEMPTS = 8;

/** One message applied to one order's saga; `cause` is null for the orchestrator's own deadline. */
export class AdvanceSaga {
  constructor(
    readonly orderId: string,
    readonly message: SagaMessage,
    /** The reply it runs for (its trace context carried on to the commands). */
    readonly cause: StepCause | null,
  ) {}
}

const isActive = (state: SagaState) => (ACTIVE_STATUSES as readonly string[]).includes(state.status);

/**
 * Load → transition → save (over the version read) with its log entry → commands to the outbox, in one
 * transaction with the inbox record, the saga's writes checked in its commit statement. Concurrent
 * replies for one saga conflict on the version; the loser rolls back whole (inbox record
 * included) and decides again on the fresh state.
 */
@CommandHandler(AdvanceSaga)
export class AdvanceSagaHandler implements ICommandHandler<AdvanceSaga, void> {
  private readonly logger = new Logger('Saga');
  private readonly deadlineMs: number;

  constructor(
    private readonly db: PrismaClient,
    private readonly steps: ParticipantSteps<Prisma.TransactionClient>,
    private readonly outbox: OutboxService,
    private readonly sagas: SagasRepository,
    private readonly metrics: SagaMetrics,
    config: ConfigService,
  ) {
    this.deadlineMs = config.getOrThrow<number>('SAGA_DEADLINE_MS');
  }

  async execute(command: AdvanceSaga): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const { cause, orderId } = command;
        if (cause) await this.steps.run(cause, (tx, emit) => this.apply(tx, command, emit));
        else {
          // The orchestrator's own deadline: no message caused it, so no inbox record either.
          await inUnitOfWork(this.db, (tx) =>
            this.apply(tx, command, (contract, payload) =>
              this.outbox.add(tx, contract, payload, { correlationId: orderId }),
            ),
          );
        }
        return;
      } catch (error) {
        // Raised at the commit of this message's own transaction (SagasRepository): decide again
        // on fresh reads. In a consumed batch the conflict fails the batch's commit instead, and
        // the transport runs its messages one at a time, each here.
        if (!(error instanceof VersionConflict) || attempt === MAX_ATTEMPTS) throw error;
        this.metrics.conflicts.inc();
        await sleep(randomInt(1, 10 * attempt));
      }
    }
  }

  private async apply(tx: Prisma.TransactionClient, { orderId, message }: AdvanceSaga, emit: Emit): Promise<void> {
    const saved = await this.sagas.load(tx, orderId);
    if (!saved && message.type !== 'OrderPlaced') {
      this.logger.warn(`${message.type} for order ${orderId}, which has no saga: ignored`);
      return;
    }
    // Another replica's sweep, or a reply, settled or re-armed it since this deadline was read.
    if (message.type === 'DeadlinePassed' && !(saved && isActive(saved.state) && saved.deadline <= new Date())) return;
    const before = saved?.state ?? emptySaga(orderId);
    const { state, commands, log } = transition(before, message);
    const step = {
      name: message.type,
      status: state.status,
      detail: { transition: log, commands: commands.map((c) => c.type) },
    };
    // The saga's row and its log entry go in one statement; a step that changed nothing is only logged.
    if (state !== before || commands.length > 0) await this.save(tx, saved, state, message, step);
    else await this.sagas.appendStep(tx, orderId, step);
    for (const command of commands) {
      const { contract, payload } = outgoing(command);
      await emit(contract, payload);
    }
    this.metrics.transitions.inc({ message: message.type, state: state.status });
    this.logger.log(`order ${orderId}: ${log}`);
  }

  private async save(
    tx: Prisma.TransactionClient,
    saved: SavedSaga | null,
    state: SagaState,
    message: SagaMessage,
    step: StepRecord,
  ) {
    const fresh = new Date(Date.now() + this.deadlineMs);
    if (!saved) return this.sagas.create(tx, state, fresh, step);
    // A retried pivot step gets a new deadline; otherwise the saga keeps the one it started with.
    const deadline = message.type === 'DeadlinePassed' && isActive(state) ? fresh : saved.deadline;
    return this.sagas.update(tx, saved.version, state, deadline, step);
  }
}
