import { Injectable } from '@nestjs/common';
import type { ListOrdersQuery, OrderView, SagaMode } from '@passo/contracts';
import type { WritingCtes, WritingCtesForMany } from '@passo/outbox';
import { Prisma, PrismaClient } from '@passo/prisma/order';

const withLines = { lines: { orderBy: { position: 'asc' } } } as const;
type OrderWithLines = Prisma.OrderGetPayload<{ include: typeof withLines }>;

export interface NewOrder {
  id: string;
  customerId: string;
  items: { sku: string; quantity: number }[];
  sagaMode: SagaMode;
  idempotencyKey?: string;
  requestHash?: string;
}

/** The only place that knows the order tables. */
@Injectable()
export class OrdersRepository {
  constructor(readonly db: PrismaClient) {}

  /**
   * The order and its lines as data-modifying CTEs ($1…$7), which the outbox sends together with
   * the OrderPlaced row: one round trip, atomic without a transaction.
   */
  insertStatement(order: NewOrder): WritingCtes {
    const ctes = `placed AS (
        INSERT INTO orders (id, customer_id, saga_mode, idempotency_key, request_hash, updated_at)
        VALUES ($1::uuid, $2, $3::"SagaMode", $4, $5, now())
        RETURNING id::text, customer_id AS "customerId", status::text, saga_mode::text AS "sagaMode",
                  created_at AS "createdAt", updated_at AS "updatedAt"),
      lines AS (
        INSERT INTO order_lines (order_id, position, sku, quantity)
        SELECT $1::uuid, l.ord - 1, l.sku, l.quantity FROM unnest($6::text[], $7::int[]) WITH ORDINALITY AS l(sku, quantity, ord))`;
    const values = [
      order.id,
      order.customerId,
      order.sagaMode,
      order.idempotencyKey ?? null,
      order.requestHash ?? null,
      order.items.map((item) => item.sku),
      order.items.map((item) => item.quantity),
    ];
    return { ctes, returning: 'placed', values };
  }

  /**
   * Many orders and their lines as set-based CTEs ($1…$9), for OutboxService.addAlongMany: one
   * statement for the placements of concurrent requests. An order whose Idempotency-Key another
   * one holds already is skipped (no row returned: its caller replays the winner), and so are its
   * lines and its message.
   */
  insertManyStatement(orders: readonly NewOrder[]): WritingCtesForMany {
    const ctes = `placed AS (
        INSERT INTO orders (id, customer_id, saga_mode, idempotency_key, request_hash, updated_at)
        SELECT o.id, o.customer_id, o.saga_mode, o.idempotency_key, o.request_hash, now()
        FROM unnest($1::uuid[], $2::text[], $3::"SagaMode"[], $4::text[], $5::text[])
          AS o(id, customer_id, saga_mode, idempotency_key, request_hash)
        ON CONFLICT (idempotency_key) DO NOTHING
        RETURNING id::text, customer_id AS "customerId", status::text, saga_mode::text AS "sagaMode",
                  created_at AS "createdAt", updated_at AS "updatedAt"),
      lines AS (
        INSERT INTO order_lines (order_id, position, sku, quantity)
        SELECT l.order_id, l.position, l.sku, l.quantity
        FROM unnest($6::uuid[], $7::int[], $8::text[], $9::int[]) AS l(order_id, position, sku, quantity)
        WHERE l.order_id::text IN (SELECT id FROM placed))`;
    const lines = orders.flatMap((order) => order.items.map((item, position) => ({ id: order.id, position, ...item })));
    const values = [
      orders.map((order) => order.id),
      orders.map((order) => order.customerId),
      orders.map((order) => order.sagaMode),
      orders.map((order) => order.idempotencyKey ?? null),
      orders.map((order) => order.requestHash ?? null),
      lines.map((line) => line.id),
      lines.map((line) => line.position),
      lines.map((line) => line.sku),
      lines.map((line) => line.quantity),
    ];
    return { ctes, returning: 'placed', correlatedBy: 'id', values };
  }

  findById(id: string): Promise<OrderWithLines | null> {
    return this.db.order.findUnique({ where: { id }, include: withLines });
  }

  findByIdempotencyKey(key: string): Promise<OrderWithLines | null> {
    return this.db.order.findUnique({ where: { idempotencyKey: key }, include: withLines });
  }

  list({ status, limit }: ListOrdersQuery): Promise<OrderWithLines[]> {
    return this.db.order.findMany({
      where: status ? { status } : {},
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit,
      include: withLines,
    });
  }
}

/** A unique index on `field` refused the write: P2002 from a model query, P2010 from a raw one. */
export function isUniqueViolation(error: unknown, field: string): boolean {
  if (!(error instanceof Prisma.PrismaClientKnownRequestError)) return false;
  const raw = error.code === 'P2010' && JSON.stringify(error.meta ?? {}).includes('"UniqueConstraintViolation"');
  if (error.code !== 'P2002' && !raw) return false;
  return JSON.stringify(error.meta ?? {}).includes(field);
}

/** What insertStatement returns of the new order. */
export interface PlacedRow {
  id: string;
  customerId: string;
  status: OrderView['status'];
  sagaMode: SagaMode;
  createdAt: Date;
  updatedAt: Date;
}

/** A just-placed order as the API shows it: PENDING, lines not priced yet. */
export function placedView(row: PlacedRow, items: NewOrder['items']): OrderView {
  return {
    id: row.id,
    customerId: row.customerId,
    items: items.map(({ sku, quantity }) => ({ sku, quantity, priceCents: null })),
    status: row.status,
    sagaMode: row.sagaMode,
    totalCents: null,
    cancellationReason: null,
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}

export function toOrderView(order: OrderWithLines): OrderView {
  return {
    id: order.id,
    customerId: order.customerId,
    items: order.lines.map((line) => ({ sku: line.sku, quantity: line.quantity, priceCents: line.priceCents })),
    status: order.status,
    sagaMode: order.sagaMode,
    totalCents: order.totalCents,
    cancellationReason: order.cancellationReason,
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
  };
}
