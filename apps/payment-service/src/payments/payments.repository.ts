import { Injectable } from '@nestjs/common';
import type { ListPaymentsQuery, PaymentView } from '@passo/contracts';
import { Prisma, PrismaClient, type Payment, type PaymentFailureReason } from '@passo/prisma/payment';

export interface NewPayment {
  id: string;
  orderId: string;
  customerId: string;
  amountCents: number;
  /** null: the charge went through (COMPLETED); otherwise the attempt is recorded as FAILED. */
  reason: PaymentFailureReason | null;
}

/** The only place that knows the payments table. */
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

  async existsForOrder(tx: Prisma.TransactionClient, orderId: string): Promise<boolean> {
    return (await tx.payment.count({ where: { orderId } })) > 0;
  }

  create(tx: Prisma.TransactionClient, { reason, ...payment }: NewPayment): Promise<Payment> {
    return tx.payment.create({ data: { ...payment, status: reason ? 'FAILED' : 'COMPLETED', reason } });
  }

  /**
   * COMPLETED → REFUNDED in one conditional UPDATE, returning the payment it moved: null when it is
   * unknown, not this order's, FAILED or refunded already. Two concurrent refunds queue on the row
   * lock and the second finds it REFUNDED, so money is never given back twice.
   */
  async refund(tx: Prisma.TransactionClient, id: string, orderId: string): Promise<Payment | null> {
    const [refunded] = await tx.payment.updateManyAndReturn({
      where: { id, orderId, status: 'COMPLETED' },
      data: { status: 'REFUNDED' },
    });
    return refunded ?? null;
  }
}

/** The unique order_id refused a second payment row for one order. */
export function isDuplicatePayment(error: unknown): boolean {
  if (!(error instanceof Prisma.PrismaClientKnownRequestError) || error.code !== 'P2002') return false;
  return /order_?id/i.test(JSON.stringify(error.meta ?? {}));
}

export function toPaymentView(payment: Payment): PaymentView {
  const { id, orderId, customerId, amountCents, status, reason, createdAt } = payment;
  return { id, orderId, customerId, amountCents, status, reason, createdAt: createdAt.toISOString() };
}
