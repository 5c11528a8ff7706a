import { createHash, randomUUID } from 'node:crypto';
import { ConflictException } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { OrderPlaced, type OrderView, type PlaceOrderRequest } from '@passo/contracts';
import { OutboxService } from '@passo/outbox';
import { SagaModeService } from '../saga-mode/saga-mode.service';
import { isUniqueViolation, OrdersRepository, type PlacedRow, placedView, toOrderView } from './orders.repository';

export class PlaceOrder {
  constructor(
    readonly request: PlaceOrderRequest,
    readonly idempotencyKey?: string,
  ) {}
}

export interface PlaceOrderResult {
  order: OrderView;
  /** false when an Idempotency-Key replay returned the order placed earlier. */
  created: boolean;
}

@CommandHandler(PlaceOrder)
export class PlaceOrderHandler implements ICommandHandler<PlaceOrder, PlaceOrderResult> {
  constructor(
    private readonly orders: OrdersRepository,
    private readonly modes: SagaModeService,
    private readonly outbox: OutboxService,
  ) {}

  async execute({ request, idempotencyKey }: PlaceOrder): Promise<PlaceOrderResult> {
    // The hash covers the request as sent, so a retry matches even if the default mode flipped since.
    const requestHash = createHash('sha256').update(JSON.stringify(request)).digest('hex');
    if (idempotencyKey) {
      const earlier = await this.orders.findByIdempotencyKey(idempotencyKey);
      if (earlier) return this.replay(earlier.requestHash, requestHash, toOrderView(earlier));
    }
    const sagaMode = request.sagaMode ?? (await this.modes.current());
    try {
      const id = randomUUID();
      const insert = this.orders.insertStatement({ id, ...request, sagaMode, idempotencyKey, requestHash });
      const placed = { orderId: id, customerId: request.customerId, items: request.items, sagaMode };
      // The order and its OrderPlaced in one statement: both are written, or neither.
      const { rows } = await this.outbox.addAlong<OrderPlaced, PlacedRow>(this.orders.db, insert, OrderPlaced, placed, {
        correlationId: id,
      });
      return { order: placedView(rows[0], request.items), created: true };
    } catch (error) {
      // Two concurrent requests with one key: the unique index lets one win; the other replays it.
      if (!idempotencyKey || !isUniqueViolation(error, 'idempotency_key')) throw error;
      const winner = await this.orders.findByIdempotencyKey(idempotencyKey);
      if (!winner) throw error;
      return this.replay(winner.requestHash, requestHash, toOrderView(winner));
    }
  }

  private replay(storedHash: string | null, requestHash: string, order: OrderView): PlaceOrderResult {
    if (storedHash !== requestHash) {
      throw new ConflictException({
        statusCode: 409,
        error: 'Conflict',
        message: `Idempotency-Key was already used for a different request (order ${order.id})`,
      });
    }
    return { order, created: false };
  }
}
