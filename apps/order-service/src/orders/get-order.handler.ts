import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { UuidSchema, type OrderView } from '@passo/contracts';
import { notFound } from '@passo/platform';
import { OrdersRepository, toOrderView } from './orders.repository';

export class GetOrder {
  constructor(readonly id: string) {}
}

@QueryHandler(GetOrder)
export class GetOrderHandler implements IQueryHandler<GetOrder, OrderView> {
  constructor(private readonly orders: OrdersRepository) {}

  async execute({ id }: GetOrder): Promise<OrderView> {
    // Order ids are UUIDs: anything else cannot exist, and must not reach the uuid column.
    const order = UuidSchema.safeParse(id).success ? await this.orders.findById(id) : null;
    if (!order) throw notFound('order', id);
    return toOrderView(order);
  }
}
