import { Injectable } from '@nestjs/common';
import type { CustomerView } from '@passo/contracts';
import { PrismaClient, type Customer } from '@passo/prisma/payment';

/**
 * The wallets as the HTTP API sets and reads them. Charges and refunds move a wallet's money in the
 * payment's own statement (PaymentsRepository.charge / refund), so the wallet's row lock is taken
 * with the payment, in one round trip.
 */
@Injectable()
export class CustomersRepository {
  constructor(private readonly db: PrismaClient) {}

  upsert(id: string, balanceCents: number): Promise<Customer> {
    return this.db.customer.upsert({ where: { id }, create: { id, balanceCents }, update: { balanceCents } });
  }

  find(id: string): Promise<Customer | null> {
    return this.db.customer.findUnique({ where: { id } });
  }
}

export const toCustomerView = ({ id, balanceCents }: Customer): CustomerView => ({ id, balanceCents });
