import { Inject, Injectable, Optional } from '@nestjs/common';
import type { Envelope } from '@passo/contracts';
import type { Lab } from '../lab/lab';
import { OUTBOX_OPTIONS, type OutboxOptions } from '../outbox/outbox.options';
import type { SqlExecutor } from '../sql';
import {
  type CommitWrite,
  inUnitOfWork,
  type TransactionRunner,
  type UnitOfWork,
  unitOfWorkOf,
} from '../unit-of-work/unit-of-work';

export type { TransactionRunner } from '../unit-of-work/unit-of-work';

/**
 * The message a use case runs for: its id is the inbox key (with the subject recorded beside it)
 * and the causation id of every message the use case emits.
 */
export interface MessageCause {
  id: string;
  subject: string;
}

export type HandleResult<R> = { duplicate: true } | { duplicate: false; result: R };

/** A record the inbox owes a batch's unit of work, written with the others just before its commit. */
interface Claim {
  consumer: string;
  id: string;
  subject: string;
}

/**
 * A message of the batch had been processed already (a redelivery the inbox finds at the commit):
 * the unit rolls back and the transport runs its messages one by one, where the inbox tells it
 * apart as each step begins. Not a fault of the message, so never one of its counted failures.
 */
export class AlreadyProcessedInBatch extends Error {
  constructor(readonly duplicates: number) {
    super(`${duplicates} message(s) of the batch were processed already: running them one by one`);
  }
}

/**
 * Consumer-side dedup: the (consumer, message id) row is written in the same transaction as the
 * handler's effects, so a redelivered message finds it and is acknowledged with no second effect.
 */
@Injectable()
export class InboxService {
  private readonly lab?: Lab;
  /** Per batch unit of work: its claims by consumer and message id, in claim order. */
  private readonly claims = new WeakMap<UnitOfWork, Map<string, Claim>>();

  constructor(@Optional() @Inject(OUTBOX_OPTIONS) options?: OutboxOptions) {
    this.lab = options?.lab;
  }

  /**
   * False only in the dual-write lab with `inbox: off`: consumers then apply their effects without
   * the dedup record, and a use case guarded by its own key is shown without that guard too.
   */
  get dedups(): boolean {
    return !this.lab || this.lab.inboxOn;
  }

  /**
   * Records the message for this consumer inside `tx`; false when it was already processed.
   * A concurrent duplicate blocks on the primary key until the first commits, then sees it.
   */
  async once(
    tx: SqlExecutor,
    consumer: string,
    message: Pick<Envelope, 'id'> & { subject?: string },
  ): Promise<boolean> {
    // The lab's `inbox: off`: effects applied with no dedup record, so a redelivery applies them again.
    if (!this.dedups) return true;
    const unit = unitOfWorkOf(tx);
    if (unit?.batch) return this.claim(unit, { consumer, id: message.id, subject: message.subject ?? '' });
    const inserted = await tx.$executeRawUnsafe(
      `INSERT INTO inbox_messages (consumer, message_id, subject) VALUES ($1, $2::uuid, $3)
       ON CONFLICT (consumer, message_id) DO NOTHING`,
      consumer,
      message.id,
      message.subject ?? '',
    );
    return inserted === 1;
  }

  /**
   * In a consumed batch: one statement for all its records, at the commit (most batches hold no
   * redelivery, and this is one round trip less per message). A message twice in the batch is told
   * apart here; one processed by an earlier transaction fails the unit there (AlreadyProcessedInBatch).
   */
  private claim(unit: UnitOfWork, claim: Claim): boolean {
    let claims = this.claims.get(unit);
    if (!claims) {
      this.claims.set(unit, (claims = new Map()));
      unit.writeAtCommit(this, () => this.record(claims!));
    }
    const key = `${claim.consumer}\u0000${claim.id}`;
    if (claims.has(key)) return false;
    claims.set(key, claim);
    return true;
  }

  /**
   * Message ids in one order, so that batches with records in common lock them alike (no deadlock).
   * Written in the statement that also writes the batch's outbox rows (UnitOfWork.writeAtCommit).
   */
  private record(claims: Map<string, Claim>): CommitWrite {
    const all = [...claims.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return {
      statement: (first) => `INSERT INTO inbox_messages (consumer, message_id, subject)
        SELECT * FROM unnest($${first}::text[], $${first + 1}::uuid[], $${first + 2}::text[])
        ON CONFLICT (consumer, message_id) DO NOTHING RETURNING 1`,
      values: [all.map((c) => c.consumer), all.map((c) => c.id), all.map((c) => c.subject)],
      expect: { rows: all.length, mismatch: (inserted) => new AlreadyProcessedInBatch(all.length - inserted) },
    };
  }

  /**
   * Runs `effects` once per (consumer, message) in one transaction with the inbox record: the
   * batch's shared one when the transport runs this inside a unit of work of `db`, else its own.
   */
  async handle<Tx extends SqlExecutor, R>(
    db: TransactionRunner<Tx>,
    consumer: string,
    message: Pick<Envelope, 'id'> & { subject?: string },
    effects: (tx: Tx) => Promise<R>,
  ): Promise<HandleResult<R>> {
    const once = async (tx: Tx): Promise<HandleResult<R>> => {
      if (!(await this.once(tx, consumer, message))) return { duplicate: true } as const;
      return { duplicate: false, result: await effects(tx) } as const;
    };
    return inUnitOfWork(db, once);
  }
}
