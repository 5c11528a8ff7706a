import { Injectable } from '@nestjs/common';
import { MetricsRegistry } from '@passo/platform';
import { PrismaClient } from '@passo/prisma/orchestrator';
import { Counter, Gauge } from 'prom-client';
import { ACTIVE_STATUSES } from '../order-saga/order-saga.definition';

/** The orchestrator in numbers: what it decided, how often replicas collided, what is overdue. */
@Injectable()
export class SagaMetrics {
  readonly transitions: Counter<'message' | 'state'>;
  readonly conflicts: Counter;

  constructor(registry: MetricsRegistry, db: PrismaClient) {
    const registers = [registry];
    this.transitions = new Counter({
      name: 'passo_saga_transitions_total',
      help: 'Messages applied to orchestrated sagas, by message and resulting state',
      labelNames: ['message', 'state'],
      registers,
    });
    this.conflicts = new Counter({
      name: 'passo_saga_version_conflicts_total',
      help: 'Saga updates retried because another transaction changed the saga first (optimistic concurrency)',
      registers,
    });
    // Read from the table at scrape time, so every replica reports the truth, not its own share.
    new Gauge({
      name: 'passo_saga_active',
      help: 'Orchestrated sagas not yet CONFIRMED or CANCELLED; overdue = past their deadline',
      labelNames: ['overdue'],
      registers,
      async collect() {
        const active = { state: { in: [...ACTIVE_STATUSES] } };
        const [all, overdue] = await Promise.all([
          db.sagaInstance.count({ where: active }),
          db.sagaInstance.count({ where: { ...active, deadline: { lt: new Date() } } }),
        ]).catch(() => [Number.NaN, Number.NaN]);
        this.set({ overdue: 'false' }, all - overdue);
        this.set({ overdue: 'true' }, overdue);
      },
    });
  }
}
