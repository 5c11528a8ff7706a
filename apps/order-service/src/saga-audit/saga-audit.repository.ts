import { Injectable } from '@nestjs/common';
import type { SagaMode } from '@passo/contracts';
import { PrismaClient } from '@passo/prisma/order';

export interface StuckOrder {
  id: string;
  customerId: string;
  sagaMode: SagaMode;
  /** Time since placement, by the database's clock (the same clock that wrote created_at). */
  ageMs: number;
}

export interface StuckOrders {
  /** Every stuck order by mode, for the gauge. */
  total: Record<SagaMode, number>;
  /** The oldest of them, at most `limit`. */
  oldest: StuckOrder[];
}

export interface SettledOrder {
  id: string;
  status: string;
  sagaMode: SagaMode;
  /** From placement to the last change of the row (its settlement). */
  sagaMs: number;
}

/** The only place that knows how the audit reads the orders table. */
@Injectable()
export class SagaAuditRepository {
  constructor(private readonly db: PrismaClient) {}

  /**
   * Orders still PENDING past the deadline, whatever their mode: one statement on the
   * (status, created_at) index. An orchestrated order gets `graceMs` more, the time the
   * orchestrator's CancelOrder needs to arrive after it compensated at the deadline; past that,
   * its saga never started or stalled where the orchestrator cannot see (its OrderPlaced lost or
   * dead-lettered). Oldest first, so the page is stable: an order leaves it only by settling.
   */
  async stuck(deadlineMs: number, graceMs: number, limit: number): Promise<StuckOrders> {
    const rows = await this.db.$queryRaw<(StuckOrder & { choreography: number; orchestration: number })[]>`
      SELECT id::text AS "id", customer_id AS "customerId", saga_mode::text AS "sagaMode",
             (extract(epoch FROM now() - created_at) * 1000)::float8 AS "ageMs",
             (count(*) FILTER (WHERE saga_mode = 'choreography') OVER ())::int AS "choreography",
             (count(*) FILTER (WHERE saga_mode = 'orchestration') OVER ())::int AS "orchestration"
        FROM orders
       WHERE status = 'PENDING'
         AND created_at < now() - ${deadlineMs}::int * interval '1 millisecond'
         AND (saga_mode = 'choreography' OR created_at < now() - ${deadlineMs + graceMs}::int * interval '1 millisecond')
       ORDER BY created_at, id
       LIMIT ${limit}::int`;
    return {
      total: { choreography: rows[0]?.choreography ?? 0, orchestration: rows[0]?.orchestration ?? 0 },
      oldest: rows.map(({ id, customerId, sagaMode, ageMs }) => ({ id, customerId, sagaMode, ageMs })),
    };
  }

  /** Those of `ids` that are no longer PENDING. */
  async settled(ids: string[]): Promise<SettledOrder[]> {
    const rows = await this.db.order.findMany({
      where: { id: { in: ids }, status: { not: 'PENDING' } },
      select: { id: true, status: true, sagaMode: true, createdAt: true, updatedAt: true },
    });
    return rows.map((row) => ({
      id: row.id,
      status: row.status,
      sagaMode: row.sagaMode,
      sagaMs: row.updatedAt.getTime() - row.createdAt.getTime(),
    }));
  }
}
