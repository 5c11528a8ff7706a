import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { CustomerView } from '@passo/contracts';
import { CustomersRepository, toCustomerView } from './customers.repository';

export class UpsertCustomer {
  constructor(
    readonly id: string,
    readonly balanceCents: number,
  ) {}
}

@CommandHandler(UpsertCustomer)
export class UpsertCustomerHandler implements ICommandHandler<UpsertCustomer, CustomerView> {
  constructor(private readonly customers: CustomersRepository) {}

  async execute({ id, balanceCents }: UpsertCustomer): Promise<CustomerView> {
    return toCustomerView(await this.customers.upsert(id, balanceCents));
  }
}
