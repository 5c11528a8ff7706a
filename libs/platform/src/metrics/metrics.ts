import { Controller, Get, Header, Injectable } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** One registry per app instance, so several apps can share a process (tests) without clashes. */
@Injectable()
export class MetricsRegistry extends Registry {
  readonly httpDuration = new Histogram({
    name: 'passo_http_request_duration_seconds',
    help: 'HTTP request duration by method, matched route and status code',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this],
  });

  constructor() {
    super();
    collectDefaultMetrics({ register: this, prefix: 'passo_' });
    let since: EventLoopUtilization = performance.eventLoopUtilization();
    // Node's own saturation signal: near 1, work waits for the loop (the default metrics' lag shows how long).
    new Gauge({
      name: 'passo_nodejs_eventloop_utilization',
      help: 'Share of the time since the previous scrape the event loop was busy (0 to 1)',
      registers: [this],
      collect() {
        const now = performance.eventLoopUtilization();
        this.set(performance.eventLoopUtilization(now, since).utilization);
        since = now;
      },
    });
  }
}

/** Times every request into `passo_http_request_duration_seconds` (a Fastify hook: no middleware to run). */
export function observeHttp(fastify: FastifyInstance, registry: MetricsRegistry): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    // The matched route pattern (not the raw URL) keeps label cardinality bounded.
    const route = request.routeOptions.url ?? 'unmatched';
    registry.httpDuration.observe(
      { method: request.method, route, status: String(reply.statusCode) },
      reply.elapsedTime / 1_000,
    );
    done();
  });
}

@Controller('metrics')
export class MetricsController {
  constructor(private readonly registry: MetricsRegistry) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  async metrics(): Promise<string> {
    return this.registry.metrics();
  }
}
