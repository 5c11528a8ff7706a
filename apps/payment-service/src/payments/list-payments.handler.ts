import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import type { ListPaymentsQuery, PaymentView } from '@passo/contracts';
import { PaymentsRepository, toPaymentView } from './payments.repository';

export class ListPayments {
  constructor(readonly query: ListPaymentsQuery) {}
}

@QueryHandler(ListPayments)
export class ListPaymentsHandler implements IQueryHandler<ListPayments, PaymentView[]> {
  constructor(private readonly payments: PaymentsRepository) {}

  async execute({ query }: ListPayments): Promise<PaymentView[]> {
    return (await this.payments.list(query)).map(toPaymentView);
  }
}
