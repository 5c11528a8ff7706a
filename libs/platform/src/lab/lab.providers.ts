import type { Provider, Type } from '@nestjs/common';
import { Lab } from '@passo/outbox';
import { Counter } from 'prom-client';
import { MetricsRegistry } from '../metrics/metrics';
import { LabController } from './lab.controller';
import { LAB, LabStore } from './lab.store';

/** Whether this process runs the dual-write lab (validated with the rest of the environment). */
export function labEnabled(env: Record<string, unknown> = process.env): boolean {
  return env.PASSO_LAB === 'on';
}

/** With the lab off only `LAB = null` is provided: no route, no store, no fault can be armed. */
export function labParts(on: boolean): { providers: Provider[]; controllers: Type[] } {
  if (!on) return { providers: [{ provide: LAB, useValue: null }], controllers: [] };
  const lab: Provider = {
    provide: LAB,
    inject: [MetricsRegistry],
    useFactory: (registry: MetricsRegistry) => {
      const fired = new Counter({
        name: 'passo_lab_faults_fired_total',
        help: 'Failpoints of the dual-write lab that fired, by fault',
        labelNames: ['fault'] as const,
        registers: [registry],
      });
      return new Lab((fault) => fired.inc({ fault }));
    },
  };
  return { providers: [lab, LabStore], controllers: [LabController] };
}
