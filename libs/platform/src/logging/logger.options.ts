import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { RequestMethod } from '@nestjs/common';
import type { Params } from 'nestjs-pino';
import { destination } from 'pino';

const REQUEST_ID = /^[\w.:-]{1,128}$/;
/** Polled by probes and scrapers: a line per request would drown the log. */
const QUIET = new Set(['/health', '/metrics']);

type LoggedRequest = IncomingMessage & { originalUrl?: string };

/**
 * A request's id: the caller's X-Request-Id when it is a sane one, so one id follows a request
 * across services; else a new one. Fastify's `genReqId`; bootstrap echoes it in the response.
 */
export function requestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/** Structured JSON logs (pretty for humans on `npm start`), each request tagged with a request id. */
export function loggerOptions(service: string, level: string, format: 'json' | 'pretty'): Params {
  return {
    // Every route: nestjs-pino's default pattern (`{/*splat}`) matches no request on Fastify's middleware.
    forRoutes: [{ path: '{*splat}', method: RequestMethod.ALL }],
    pinoHttp: {
      // Synchronous writes: the last lines before a signal-triggered exit must not be lost.
      stream: format === 'json' ? destination({ dest: 1, sync: true }) : undefined,
      name: service,
      level,
      base: { service },
      transport:
        format === 'pretty'
          ? {
              target: 'pino-pretty',
              options: { singleLine: true, ignore: 'pid,hostname,service', translateTime: 'HH:MM:ss.l' },
            }
          : undefined,
      // No genReqId: the request id is Fastify's (requestId above), which pino-http finds on the request.
      // originalUrl: Fastify's middleware engine cuts the route's match off req.url while the logger runs.
      autoLogging: { ignore: (req: LoggedRequest) => QUIET.has(req.originalUrl ?? req.url ?? '') },
      redact: ['req.headers.authorization', 'req.headers.cookie'],
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    },
  };
}
