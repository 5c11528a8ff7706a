import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';
import { destination } from 'pino';

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Structured JSON logs (pretty for humans on `npm start`), each request tagged with a request id. */
export function loggerOptions(service: string, level: string, format: 'json' | 'pretty'): Params {
  return {
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
      // Honour a caller's X-Request-Id so one id follows a request across services.
      genReqId: (req: IncomingMessage, res: ServerResponse) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      autoLogging: { ignore: (req: IncomingMessage) => req.url === '/health' || req.url === '/metrics' },
      redact: ['req.headers.authorization', 'req.headers.cookie'],
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    },
  };
}
