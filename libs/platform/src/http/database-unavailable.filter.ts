import { type ArgumentsHost, Catch, HttpException, type HttpServer, HttpStatus } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { classifyFailure, judgeFailure, type TransientReason } from '@passo/outbox';

/**
 * True for an infrastructure failure (database unreachable, pool exhausted, write conflict, broker
 * down), wherever it sits in the cause chain: the one classification the transport also uses.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  return classifyFailure(error) === 'transient';
}

const MESSAGES: Record<TransientReason, string> = {
  'database-unreachable': 'database unavailable, retry later',
  'database-busy': 'database busy (no connection free in time), retry later',
  'write-conflict': 'conflicting concurrent write, retry',
  'broker-unavailable': 'message broker unavailable, retry later',
  network: 'a dependency is unreachable, retry later',
  'lab-fault': 'a fault armed in the dual-write lab failed this request (see GET /lab), retry',
};

/**
 * A request that needs an unreachable or overloaded database answers 503 (retry later), not a
 * bare 500: the request was fine, the dependency was not. Everything else keeps Nest's default handling.
 */
@Catch()
export class DatabaseUnavailableFilter extends BaseExceptionFilter {
  override catch(error: unknown, host: ArgumentsHost): void {
    if (error instanceof HttpException || !isDatabaseUnavailable(error) || host.getType() !== 'http') {
      return super.catch(error, host);
    }
    const adapter = (this.applicationRef ?? this.httpAdapterHost!.httpAdapter) as HttpServer;
    const response: unknown = host.switchToHttp().getResponse();
    adapter.setHeader(response, 'Retry-After', '1');
    adapter.reply(
      response,
      { statusCode: 503, error: 'Service Unavailable', message: MESSAGES[judgeFailure(error).reason!] },
      HttpStatus.SERVICE_UNAVAILABLE,
    );
  }
}
