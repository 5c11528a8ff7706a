import { Injectable } from '@nestjs/common';
import type { CustomerView } from '@passo/contracts';
import { PrismaClient, type Customer, type PaymentFailureReason, type Prisma } from '@passo/prisma/payment';

/** What a charge did to the wallet: debited, or why not. */
export type DebitOutcome = 'DEBITED' | PaymentFailureReason;

@Injectable()
export class CustomersRepository {
  constructor(private readonly db: PrismaClient) {}

  upsert(id: string, balanceCents: number): Promise<Customer> {
    return this.db.customer.upsert({ where: { id }, create: { id, balanceCents }, update: { balanceCents } });
  }

  find(id: string): Promise<Customer | null> {
    return this.db.customer.findUnique({ where: { id } });
  }

  /**
   * Takes the amount only if the wallet covers it, in one conditional UPDATE: concurrent charges
   * queue on the row lock and each re-checks the balance it finds, so a wallet never goes below
   * zero (a read-then-write would let two charges spend the same money).
   */
  async debit(tx: Prisma.TransactionClient, id: string, amountCents: number): Promise<DebitOutcome> {
    const debited = await tx.$executeRaw`
      UPDATE customers SET balance_cents = balance_cents - ${amountCents}, updated_at = now()
      WHERE id = ${id} AND balance_cents >= ${amountCents}`;
    if (debited === 1) return 'DEBITED';
    return (await tx.customer.count({ where: { id } })) > 0 ? 'INSUFFICIENT_FUNDS' : 'UNKNOWN_CUSTOMER';
  }

  /** Gives money back (a refund): an atomic increment, so concurrent charges and refunds never lose one. */
  async credit(tx: Prisma.TransactionClient, id: string, amountCents: number): Promise<void> {
    await tx.customer.update({
      where: { id },
      data: { balanceCents: { increment: amountCents } },
      select: { id: true },
    });
  }
}

export const toCustomerView = ({ id, balanceCents }: Customer): CustomerView => ({ id, balanceCents });
