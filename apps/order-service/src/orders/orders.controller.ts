import { Body, Controller, Get, Headers, HttpStatus, Param, Post, Query, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import {
  IdempotencyKeySchema,
  ListOrdersQuerySchema,
  PlaceOrderSchema,
  type ListOrdersQuery,
  type OrderView,
  type PlaceOrderRequest,
} from '@passo/contracts';
import { ZodValidationPipe } from '@passo/platform';
import type { FastifyReply } from 'fastify';
import { GetOrder } from './get-order.handler';
import { ListOrders } from './list-orders.handler';
import { PlaceOrder, type PlaceOrderResult } from './place-order.handler';

const idempotencyKeyPipe = new ZodValidationPipe(IdempotencyKeySchema.optional(), 'Idempotency-Key');

@Controller('orders')
export class OrdersController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  /** 201 with a new PENDING order; 200 with the same order when an Idempotency-Key is replayed. */
  @Post()
  async place(
    @Body(new ZodValidationPipe(PlaceOrderSchema)) body: PlaceOrderRequest,
    @Headers('idempotency-key') rawIdempotencyKey: string | undefined,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<OrderView> {
    const idempotencyKey = idempotencyKeyPipe.transform(rawIdempotencyKey);
    const { order, created } = await this.commands.execute<PlaceOrder, PlaceOrderResult>(
      new PlaceOrder(body, idempotencyKey),
    );
    res.status(created ? HttpStatus.CREATED : HttpStatus.OK);
    return order;
  }

  @Get(':id')
  get(@Param('id') id: string): Promise<OrderView> {
    return this.queries.execute<GetOrder, OrderView>(new GetOrder(id));
  }

  @Get()
  list(@Query(new ZodValidationPipe(ListOrdersQuerySchema)) query: ListOrdersQuery): Promise<OrderView[]> {
    return this.queries.execute<ListOrders, OrderView[]>(new ListOrders(query));
  }
}
