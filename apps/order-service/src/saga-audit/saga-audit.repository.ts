import { Injectable } from '@nestjs/common';
import { PrismaClient } from '@passo/prisma/order';

export interface StuckOrder {
  id: string;
  customerId: string;
  /** Time since placement, by the database's clock (the same clock that wrote created_at). */
  ageMs: number;
}

export interface StuckOrders {
  /** Every stuck order, for the gauge. */
  total: number;
  /** The oldest of them, at most `limit`. */
  oldest: StuckOrder[];
}

export interface SettledOrder {
  id: string;
  status: string;
  /** From placement to the last change of the row (its settlement). */
  sagaMs: number;
}

/** The only place that knows how the audit reads the orders table. */
@Injectable()
export class SagaAuditRepository {
  constructor(private readonly db: PrismaClient) {}

  /**
   * Choreographed orders still PENDING past the deadline: one statement on the (status, created_at)
   * index. Oldest first, so the page is stable: an order leaves it only by settling.
   */
  async stuckChoreographed(deadlineMs: number, limit: number): Promise<StuckOrders> {
    const rows = await this.db.$queryRaw<(StuckOrder & { total: number })[]>`
      SELECT id::text AS "id", customer_id AS "customerId",
             (extract(epoch FROM now() - created_at) * 1000)::float8 AS "ageMs",
             count(*) OVER ()::int AS "total"
        FROM orders
       WHERE status = 'PENDING' AND saga_mode = 'choreography'
         AND created_at < now() - ${deadlineMs}::int * interval '1 millisecond'
       ORDER BY created_at, id
       LIMIT ${limit}::int`;
    return { total: rows[0]?.total ?? 0, oldest: rows.map(({ id, customerId, ageMs }) => ({ id, customerId, ageMs })) };
  }

  /** Those of `ids` that are no longer PENDING. */
  async settled(ids: string[]): Promise<SettledOrder[]> {
    const rows = await this.db.order.findMany({
      where: { id: { in: ids }, status: { not: 'PENDING' } },
      select: { id: true, status: true, createdAt: true, updatedAt: true },
    });
    return rows.map((row) => ({
      id: row.id,
      status: row.status,
      sagaMs: row.updatedAt.getTime() - row.createdAt.getTime(),
    }));
  }
}
