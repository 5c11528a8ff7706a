import { Injectable } from '@nestjs/common';
import type { ListPaymentsQuery, PaymentView } from '@passo/contracts';
import { PrismaClient, type Payment } from '@passo/prisma/payment';

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
}

export function toPaymentView(payment: Payment): PaymentView {
  const { id, orderId, customerId, amountCents, status, reason, createdAt } = payment;
  return { id, orderId, customerId, amountCents, status, reason, createdAt: createdAt.toISOString() };
}
