import type { Envelope } from '@passo/contracts';
import type { SqlExecutor } from '../sql';
import { type UnitOfWork, unitOfWorkOf } from '../unit-of-work/unit-of-work';
import type { DirectPublisher } from './direct-publisher';
import type { Lab } from './lab';

interface Outgoing {
  subject: string;
  envelope: Envelope;
}

/**
 * The two classic dual writes, for the lab to show what the outbox prevents. Each is the code a
 * reader has written or reviewed at some point:
 *
 * publish-after-commit — commit, then publish:
 *     await prisma.$transaction(async (tx) => { …effects… });
 *     await nats.publish(subject, event);   // a crash or a failed publish here: the event is lost
 *
 * publish-before-commit — publish inside the transaction, then commit:
 *     await prisma.$transaction(async (tx) => {
 *       …effects…
 *       await nats.publish(subject, event); // the event is out…
 *     });                                   // …and the commit may still fail: a ghost event
 *
 * Here "the transaction" is the caller's unit of work (a consumed batch, or one message), and
 * outbox.add / addAlong hand their messages to this instead of writing outbox rows.
 */
export class NaiveDelivery {
  private readonly queued = new WeakMap<UnitOfWork, Outgoing[]>();

  constructor(
    private readonly lab: Lab,
    private readonly publisher: DirectPublisher,
  ) {}

  /** Whether the lab has chosen a naive delivery (checked at every add: PUT /lab switches live). */
  get active(): boolean {
    return this.lab.delivery !== 'outbox';
  }

  /** Whether messages go out before the statement that should carry them runs (publish-before-commit). */
  get publishesFirst(): boolean {
    return this.lab.delivery === 'publish-before-commit';
  }

  /** outbox.add(tx, …) under a naive delivery. */
  async add(tx: SqlExecutor, subject: string, envelope: Envelope): Promise<void> {
    if (this.publishesFirst) {
      await this.publisher.publish(subject, envelope); // inside the open transaction
      this.lab.rollbackAfterPublish(`after publishing ${envelope.type}`);
      return;
    }
    const unit = unitOfWorkOf(tx);
    if (!unit) {
      throw new Error('the lab publishes after commit only for a transaction run in a unit of work (runInUnitOfWork)');
    }
    this.lab.rollbackAfterPublish(`before committing ${envelope.type}`); // nothing is out yet: no harm
    let outgoing = this.queued.get(unit);
    if (!outgoing) this.queued.set(unit, (outgoing = []));
    outgoing.push({ subject, envelope });
    unit.afterCommit(this, async () => {
      const all = this.queued.get(unit) ?? [];
      this.queued.delete(unit);
      this.lab.crashAfterCommit(`committing ${all.length} message(s) still to publish`);
      for (const message of all) await this.publisher.publish(message.subject, message.envelope);
    });
  }

  /** outbox.addAlong(…) under a naive delivery: `write` runs the caller's statement alone (no outbox row). */
  async addAlong<R>(write: () => Promise<R>, subject: string, envelope: Envelope): Promise<R> {
    if (this.publishesFirst) {
      await this.publisher.publish(subject, envelope);
      this.lab.rollbackAfterPublish(`after publishing ${envelope.type}`); // the statement never runs
      return write();
    }
    this.lab.rollbackAfterPublish(`before committing ${envelope.type}`);
    const rows = await write(); // one statement: committed when it returns
    this.lab.crashAfterCommit(`committing ${envelope.type}, still to publish`);
    await this.publisher.publish(subject, envelope);
    return rows;
  }
}
