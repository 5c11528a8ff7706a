import { Inject, Injectable, Optional } from '@nestjs/common';
import type { Envelope } from '@passo/contracts';
import type { Lab } from '../lab/lab';
import { OUTBOX_OPTIONS, type OutboxOptions } from '../outbox/outbox.options';
import type { SqlExecutor } from '../sql';
import { inUnitOfWork, type TransactionRunner } from '../unit-of-work/unit-of-work';

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

/**
 * Consumer-side dedup: the (consumer, message id) row is written in the same transaction as the
 * handler's effects, so a redelivered message finds it and is acknowledged with no second effect.
 */
@Injectable()
export class InboxService {
  private readonly lab?: Lab;

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
