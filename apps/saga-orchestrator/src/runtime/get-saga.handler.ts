import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { UuidSchema, type SagaView } from '@passo/contracts';
import { notFound } from '@passo/platform';
import { SagasRepository, toSagaView } from './sagas.repository';

export class GetSaga {
  constructor(readonly orderId: string) {}
}

/** Only orchestrated orders have a saga instance; every other id is a 404. */
@QueryHandler(GetSaga)
export class GetSagaHandler implements IQueryHandler<GetSaga, SagaView> {
  constructor(private readonly sagas: SagasRepository) {}

  async execute({ orderId }: GetSaga): Promise<SagaView> {
    const saga = UuidSchema.safeParse(orderId).success ? await this.sagas.find(orderId) : null;
    if (!saga) throw notFound('saga for order', orderId);
    return toSagaView(saga);
  }
}
