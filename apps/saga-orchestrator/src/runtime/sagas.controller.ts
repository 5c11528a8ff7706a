import { Controller, Get, Param } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import type { SagaView } from '@passo/contracts';
import { GetSaga } from './get-saga.handler';

@Controller('sagas')
export class SagasController {
  constructor(private readonly queries: QueryBus) {}

  @Get(':orderId')
  get(@Param('orderId') orderId: string): Promise<SagaView> {
    return this.queries.execute<GetSaga, SagaView>(new GetSaga(orderId));
  }
}
