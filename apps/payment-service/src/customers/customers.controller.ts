import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import {
  ExternalIdSchema,
  UpsertCustomerSchema,
  type CustomerView,
  type UpsertCustomerRequest,
} from '@passo/contracts';
import { ZodValidationPipe } from '@passo/platform';
import { GetCustomer } from './get-customer.handler';
import { UpsertCustomer } from './upsert-customer.handler';

@Controller('customers')
export class CustomersController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Put(':id')
  upsert(
    @Param('id', new ZodValidationPipe(ExternalIdSchema, 'id')) id: string,
    @Body(new ZodValidationPipe(UpsertCustomerSchema)) body: UpsertCustomerRequest,
  ): Promise<CustomerView> {
    return this.commands.execute<UpsertCustomer, CustomerView>(new UpsertCustomer(id, body.balanceCents));
  }

  @Get(':id')
  get(@Param('id') id: string): Promise<CustomerView> {
    return this.queries.execute<GetCustomer, CustomerView>(new GetCustomer(id));
  }
}
