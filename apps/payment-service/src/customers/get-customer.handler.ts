import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import type { CustomerView } from '@passo/contracts';
import { notFound } from '@passo/platform';
import { CustomersRepository, toCustomerView } from './customers.repository';

export class GetCustomer {
  constructor(readonly id: string) {}
}

@QueryHandler(GetCustomer)
export class GetCustomerHandler implements IQueryHandler<GetCustomer, CustomerView> {
  constructor(private readonly customers: CustomersRepository) {}

  async execute({ id }: GetCustomer): Promise<CustomerView> {
    const customer = await this.customers.find(id);
    if (!customer) throw notFound('customer', id);
    return toCustomerView(customer);
  }
}
