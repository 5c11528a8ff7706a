import { Injectable } from '@nestjs/common';
import type { ListOrdersQuery, OrderView, SagaMode } from '@passo/contracts';
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
  constructor(private readonly db: PrismaClient) {}

  /** The order and its lines in one statement, inside the caller's transaction. */
  async create(tx: Prisma.TransactionClient, order: NewOrder): Promise<OrderWithLines> {
    return tx.order.create({
      data: {
        id: order.id,
        customerId: order.customerId,
        sagaMode: order.sagaMode,
        idempotencyKey: order.idempotencyKey,
        requestHash: order.requestHash,
        lines: { create: order.items.map((item, position) => ({ position, sku: item.sku, quantity: item.quantity })) },
      },
      include: withLines,
    });
  }

  /** Runs fn in one database transaction (the order and its outgoing messages commit together). */
  transaction<R>(fn: (tx: Prisma.TransactionClient) => Promise<R>): Promise<R> {
    return this.db.$transaction(fn);
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

export function isUniqueViolation(error: unknown, field: string): boolean {
  if (!(error instanceof Prisma.PrismaClientKnownRequestError) || error.code !== 'P2002') return false;
  return JSON.stringify(error.meta ?? {}).includes(field);
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
