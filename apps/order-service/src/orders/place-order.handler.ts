import { createHash, randomUUID } from 'node:crypto';
import { ConflictException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { OrderPlaced, type OrderView, type PlaceOrderRequest } from '@passo/contracts';
import { CoalescedCalls, OutboxService } from '@passo/outbox';
import { SagaModeService } from '../saga-mode/saga-mode.service';
import {
  isUniqueViolation,
  type NewOrder,
  OrdersRepository,
  type PlacedRow,
  placedView,
  toOrderView,
} from './orders.repository';

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

/** Placements written at once; a second run is sent while the first is out (then they queue). */
const PLACEMENTS_IN_FLIGHT = 2;

@CommandHandler(PlaceOrder)
export class PlaceOrderHandler implements ICommandHandler<PlaceOrder, PlaceOrderResult> {
  /** The orders of concurrent requests, each with its OrderPlaced, written by one statement. */
  private readonly placements: CoalescedCalls<NewOrder, PlacedRow | null>;

  constructor(
    private readonly orders: OrdersRepository,
    private readonly modes: SagaModeService,
    private readonly outbox: OutboxService,
    config: ConfigService,
  ) {
    this.placements = new CoalescedCalls((orders) => this.write(orders), {
      maxItems: config.getOrThrow<number>('PLACEMENT_BATCH_SIZE'),
      maxInFlight: PLACEMENTS_IN_FLIGHT,
    });
  }

  async execute({ request, idempotencyKey }: PlaceOrder): Promise<PlaceOrderResult> {
    // The hash covers the request as sent, so a retry matches even if the default mode flipped since.
    const requestHash = createHash('sha256').update(JSON.stringify(request)).digest('hex');
    // A key used before is found by the insert its unique index refuses (no order, no message):
    // a new key costs no lookup. Looked up first only while the lab publishes before writing,
    // where the refused insert would already have sent a ghost OrderPlaced.
    if (idempotencyKey && this.outbox.publishesBeforeWriting) {
      const earlier = await this.orders.findByIdempotencyKey(idempotencyKey);
      if (earlier) return this.replay(earlier.requestHash, requestHash, toOrderView(earlier));
    }
    const sagaMode = request.sagaMode ?? (await this.modes.current());
    const placed = await this.placements.run({ id: randomUUID(), ...request, sagaMode, idempotencyKey, requestHash });
    if (placed) return { order: placedView(placed, request.items), created: true };
    // The key's order exists (placed earlier, or by a concurrent request the unique index let win): replay it.
    const winner = await this.orders.findByIdempotencyKey(idempotencyKey!);
    if (!winner) throw new Error(`order with Idempotency-Key ${idempotencyKey} neither written nor found`);
    return this.replay(winner.requestHash, requestHash, toOrderView(winner));
  }

  /** Each order's row, or null where another order holds its Idempotency-Key. */
  private async write(orders: readonly NewOrder[]): Promise<(PlacedRow | null)[]> {
    if (orders.length === 1) return [await this.writeOne(orders[0]!)];
    const messages = orders.map((order) => ({ payload: placedOf(order), meta: { correlationId: order.id } }));
    const statement = this.orders.insertManyStatement(orders);
    const { rows } = await this.outbox.addAlongMany<OrderPlaced, PlacedRow>(
      this.orders.db,
      statement,
      OrderPlaced,
      messages,
    );
    const byId = new Map(rows.map((row) => [row.id, row]));
    return orders.map((order) => byId.get(order.id) ?? null);
  }

  private async writeOne(order: NewOrder): Promise<PlacedRow | null> {
    try {
      // The order and its OrderPlaced in one statement: both are written, or neither.
      const { rows } = await this.outbox.addAlong<OrderPlaced, PlacedRow>(
        this.orders.db,
        this.orders.insertStatement(order),
        OrderPlaced,
        placedOf(order),
        { correlationId: order.id },
      );
      return rows[0]!;
    } catch (error) {
      if (order.idempotencyKey && isUniqueViolation(error, 'idempotency_key')) return null;
      throw error;
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

function placedOf({ id, customerId, items, sagaMode }: NewOrder): OrderPlaced {
  return { orderId: id, customerId, items, sagaMode };
}
