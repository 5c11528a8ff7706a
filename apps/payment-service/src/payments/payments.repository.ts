import { Injectable } from '@nestjs/common';
import type { ListPaymentsQuery, PaymentView } from '@passo/contracts';
import { BatchedEffect } from '@passo/outbox';
import { Prisma, PrismaClient, type Payment } from '@passo/prisma/payment';

type Tx = Prisma.TransactionClient;

/** A charge attempt: the payment's id, its order, whose wallet and how much. */
export interface NewCharge {
  id: string;
  orderId: string;
  customerId: string;
  amountCents: number;
}

/** The payment row as Payment, selected by the raw statements below. */
const PAYMENT = Prisma.sql`id::text, order_id::text AS "orderId", customer_id AS "customerId",
  amount_cents AS "amountCents", status::text, reason::text, created_at AS "createdAt", updated_at AS "updatedAt"`;

/**
 * The only place that knows the payments table (and how a payment moves a wallet's money). The
 * consumers' use cases are one raw statement each: no query compilation, one round trip.
 */
@Injectable()
export class PaymentsRepository {
  constructor(private readonly db: PrismaClient) {}

  list({ orderId, limit }: ListPaymentsQuery): Promise<Payment[]> {
    return this.db.payment.findMany({
      where: orderId ? { orderId } : {},
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit,
    });
  }

  /**
   * The order's one charge attempt, in one statement: null (nothing written) when the order has a
   * payment already; otherwise the wallet is debited if it covers the amount and the payment is
   * recorded COMPLETED, or FAILED with why not. The debit is a conditional UPDATE: concurrent
   * charges queue on the wallet's row lock and each re-checks the balance it finds, so a wallet
   * never goes below zero. Locks: the wallet's row (when debited; the INSERT reads the debit's
   * outcome, so it runs after it), then the new payment's order_id index entry. A concurrent charge
   * of the same order, unseen by this statement's snapshot, makes the INSERT fail on the unique
   * order_id (isDuplicatePayment): the transaction rolls back, debit included.
   */
  charge(tx: Tx, charge: NewCharge): Promise<Payment | null> {
    return this.charges.run(tx, charge);
  }

  /** A consumed batch's charges: one statement alone, two for many (see chargeMany). */
  private readonly charges = new BatchedEffect<Tx, NewCharge, Payment | null>((tx, items) =>
    items.length === 1 ? this.chargeOne(tx, items[0]!).then((payment) => [payment]) : this.chargeMany(tx, items),
  );

  private async chargeOne(tx: Tx, { id, orderId, customerId, amountCents }: NewCharge): Promise<Payment | null> {
    const [payment] = await tx.$queryRaw<Payment[]>`
      WITH unpaid AS (SELECT NOT EXISTS (SELECT FROM payments WHERE order_id = ${orderId}::uuid) AS yes),
      debited AS (
        UPDATE customers SET balance_cents = balance_cents - ${amountCents}::int, updated_at = now()
         WHERE id = ${customerId} AND balance_cents >= ${amountCents}::int AND (SELECT yes FROM unpaid)
        RETURNING id),
      outcome AS (
        SELECT CASE WHEN EXISTS (SELECT FROM debited) THEN NULL
                    WHEN EXISTS (SELECT FROM customers WHERE id = ${customerId}) THEN 'INSUFFICIENT_FUNDS'
                    ELSE 'UNKNOWN_CUSTOMER' END::"PaymentFailureReason" AS reason)
      INSERT INTO payments (id, order_id, customer_id, amount_cents, status, reason, updated_at)
      SELECT ${id}::uuid, ${orderId}::uuid, ${customerId}, ${amountCents}::int,
             CASE WHEN reason IS NULL THEN 'COMPLETED' ELSE 'FAILED' END::"PaymentStatus", reason, now()
        FROM outcome WHERE (SELECT yes FROM unpaid)
      RETURNING ${PAYMENT}`;
    return payment ?? null;
  }

  /**
   * The charges of a consumed batch, decided as if they ran one after the other: the batch's
   * wallets locked in id order (FOR UPDATE: their balances cannot move until the commit) with the
   * orders already paid, then each charge decided in turn against the balance the ones before it
   * left, and every debit and payment written with one statement. A concurrent charge of one of
   * the orders (unseen by the first statement) fails the INSERT on the unique order_id: the batch
   * rolls back whole and runs one by one, where chargeOne tells the duplicate apart.
   */
  private async chargeMany(tx: Tx, items: readonly NewCharge[]): Promise<Array<Payment | null>> {
    const [{ wallets, paid }] = await tx.$queryRaw<[{ wallets: Record<string, number> | null; paid: string[] | null }]>`
      WITH locked AS (
          SELECT id, balance_cents FROM customers
           WHERE id = ANY(${items.map((i) => i.customerId)}::text[]) ORDER BY id COLLATE "C" FOR UPDATE)
      SELECT (SELECT json_object_agg(id, balance_cents) FROM locked) AS wallets,
             (SELECT array_agg(order_id::text) FROM payments
               WHERE order_id = ANY(${items.map((i) => i.orderId)}::uuid[])) AS paid`;
    const balances = new Map(Object.entries(wallets ?? {}));
    const charged = new Set(paid ?? []);
    const decided = items.map((charge) => {
      const orderId = charge.orderId.toLowerCase(); // as the database spells a uuid
      if (charged.has(orderId)) return null;
      charged.add(orderId);
      const balance = balances.get(charge.customerId);
      if (balance === undefined) return { ...charge, reason: 'UNKNOWN_CUSTOMER' as const };
      if (balance < charge.amountCents) return { ...charge, reason: 'INSUFFICIENT_FUNDS' as const };
      balances.set(charge.customerId, balance - charge.amountCents);
      return { ...charge, reason: null };
    });
    const payments = decided.filter((charge) => charge !== null);
    const debits = new Map<string, number>();
    for (const { customerId, amountCents, reason } of payments)
      if (!reason) debits.set(customerId, (debits.get(customerId) ?? 0) + amountCents);
    const written = await tx.$queryRaw<Payment[]>`
      WITH debited AS (
          UPDATE customers c SET balance_cents = c.balance_cents - d.cents, updated_at = now()
            FROM unnest(${[...debits.keys()]}::text[], ${[...debits.values()]}::int[]) AS d(id, cents)
           WHERE c.id = d.id)
      INSERT INTO payments (id, order_id, customer_id, amount_cents, status, reason, updated_at)
      SELECT id, order_id, customer_id, amount_cents,
             CASE WHEN reason IS NULL THEN 'COMPLETED' ELSE 'FAILED' END::"PaymentStatus",
             reason::"PaymentFailureReason", now()
        FROM unnest(${payments.map((p) => p.id)}::uuid[], ${payments.map((p) => p.orderId)}::uuid[],
                    ${payments.map((p) => p.customerId)}::text[], ${payments.map((p) => p.amountCents)}::int[],
                    ${payments.map((p) => p.reason)}::text[]) AS p(id, order_id, customer_id, amount_cents, reason)
      RETURNING ${PAYMENT}`;
    const byOrder = new Map(written.map((payment) => [payment.orderId, payment]));
    return decided.map((charge) => (charge ? byOrder.get(charge.orderId.toLowerCase())! : null));
  }

  /** A bare debit, with no payment recorded: only the lab's consumer without dedup does it. */
  async debit(tx: Tx, customerId: string, amountCents: number): Promise<void> {
    await tx.$executeRaw`
      UPDATE customers SET balance_cents = balance_cents - ${amountCents}::int, updated_at = now()
       WHERE id = ${customerId} AND balance_cents >= ${amountCents}::int`;
  }

  /**
   * COMPLETED → REFUNDED and the amount back to the wallet, in one statement, returning the payment
   * it moved: null when it is unknown, not this order's, FAILED or refunded already. Two concurrent
   * refunds queue on the payment's row lock and the second finds it REFUNDED, so money is never
   * given back twice. Locks: the payment's row, then the wallet's (the credit joins on the refunded
   * row, so it cannot lock the wallet first); the credit is an atomic increment, so concurrent
   * charges and refunds never lose one.
   */
  refund(tx: Tx, id: string, orderId: string): Promise<Payment | null> {
    return this.refunds.run(tx, { id, orderId });
  }

  /**
   * A consumed batch's refunds in one statement: the payments locked in id order, each wallet
   * credited once with the sum of its refunds (an UPDATE … FROM would apply only one of them).
   * A payment twice in the batch is refunded the first time only.
   */
  private readonly refunds = new BatchedEffect<Tx, { id: string; orderId: string }, Payment | null>(
    async (tx, items) => {
      const refunded = await tx.$queryRaw<Payment[]>`
        WITH want AS (
            SELECT * FROM unnest(${items.map((i) => i.id)}::uuid[], ${items.map((i) => i.orderId)}::uuid[]) AS w(id, order_id)),
          locked AS (
            SELECT p.id FROM payments p JOIN want w ON p.id = w.id AND p.order_id = w.order_id
             ORDER BY p.id FOR UPDATE OF p),
          refunded AS (
            UPDATE payments p SET status = 'REFUNDED', updated_at = now()
              FROM locked l WHERE p.id = l.id AND p.status = 'COMPLETED'
            RETURNING p.*),
          credited AS (
            UPDATE customers c SET balance_cents = c.balance_cents + r.amount_cents, updated_at = now()
              FROM (SELECT customer_id, sum(amount_cents)::int AS amount_cents FROM refunded GROUP BY customer_id) r
             WHERE c.id = r.customer_id)
        SELECT ${PAYMENT} FROM refunded`;
      // By payment and order: an item naming another order's payment refunds nothing.
      const key = (id: string, orderId: string) => `${id.toLowerCase()} ${orderId.toLowerCase()}`;
      const moved = new Map(refunded.map((payment) => [key(payment.id, payment.orderId), payment]));
      return items.map(({ id, orderId }) => {
        const payment = moved.get(key(id, orderId));
        moved.delete(key(id, orderId));
        return payment ?? null;
      });
    },
  );
}

/** The unique order_id refused a second payment row for one order (P2002 from a model query, P2010 from raw). */
export function isDuplicatePayment(error: unknown): boolean {
  if (!(error instanceof Prisma.PrismaClientKnownRequestError)) return false;
  const meta = JSON.stringify(error.meta ?? {});
  const unique = error.code === 'P2002' || (error.code === 'P2010' && meta.includes('"UniqueConstraintViolation"'));
  return unique && /order_?id/i.test(meta);
}

export function toPaymentView(payment: Payment): PaymentView {
  const { id, orderId, customerId, amountCents, status, reason, createdAt } = payment;
  return { id, orderId, customerId, amountCents, status, reason, createdAt: createdAt.toISOString() };
}
