import { Controller, Get, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ListPaymentsQuerySchema, type ListPaymentsQuery, type PaymentView } from '@passo/contracts';
import { ZodValidationPipe } from '@passo/platform';
import { ListPayments } from './list-payments.handler';

@Controller('payments')
export class PaymentsController {
  constructor(private readonly queries: QueryBus) {}

  @Get()
  list(@Query(new ZodValidationPipe(ListPaymentsQuerySchema)) query: ListPaymentsQuery): Promise<PaymentView[]> {
    return this.queries.execute<ListPayments, PaymentView[]>(new ListPayments(query));
  }
}
