import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import type { ListOrdersQuery, OrderView } from '@passo/contracts';
import { OrdersRepository, toOrderView } from './orders.repository';

export class ListOrders {
  constructor(readonly query: ListOrdersQuery) {}
}

@QueryHandler(ListOrders)
export class ListOrdersHandler implements IQueryHandler<ListOrders, OrderView[]> {
  constructor(private readonly orders: OrdersRepository) {}

  async execute({ query }: ListOrders): Promise<OrderView[]> {
    return (await this.orders.list(query)).map(toOrderView);
  }
}
