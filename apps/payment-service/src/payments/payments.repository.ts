import { Injectable } from '@nestjs/common';
import type { ListPaymentsQuery, PaymentView } from '@passo/contracts';
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
  async charge(tx: Tx, { id, orderId, customerId, amountCents }: NewCharge): Promise<Payment | null> {
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
  async refund(tx: Tx, id: string, orderId: string): Promise<Payment | null> {
    const [refunded] = await tx.$queryRaw<Payment[]>`
      WITH refunded AS (
        UPDATE payments SET status = 'REFUNDED', updated_at = now()
         WHERE id = ${id}::uuid AND order_id = ${orderId}::uuid AND status = 'COMPLETED'
        RETURNING *),
      credited AS (
        UPDATE customers c SET balance_cents = c.balance_cents + r.amount_cents, updated_at = now()
          FROM refunded r WHERE c.id = r.customer_id)
      SELECT ${PAYMENT} FROM refunded`;
    return refunded ?? null;
  }
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
