import { type ArgumentsHost, Catch, HttpException, HttpStatus } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { Response } from 'express';

const UNAVAILABLE =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|Connection terminated|timeout exceeded when trying to connect|Can't reach database server|the database system is (starting up|shutting down)|DatabaseNotReachable|SocketTimeout/i;
const UNAVAILABLE_CODES = new Set(['P1001', 'P1002', 'P1017', 'P2024', '57P01', '57P03']);

/** True for "the database cannot be reached" errors, wherever they sit in the cause chain. */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (!(error instanceof Error) || depth > 5) return false;
  const { name, message, code, cause } = error as Error & { code?: string; cause?: unknown };
  if (name === 'PrismaClientInitializationError') return true;
  if (code && UNAVAILABLE_CODES.has(code)) return true;
  if (UNAVAILABLE.test(message)) return true;
  return isDatabaseUnavailable(cause, depth + 1);
}

/**
 * A request that needs an unreachable database answers 503 (retry later), not a bare 500:
 * the request was fine, the dependency was not. Everything else keeps Nest's default handling.
 */
@Catch()
export class DatabaseUnavailableFilter extends BaseExceptionFilter {
  override catch(error: unknown, host: ArgumentsHost): void {
    if (error instanceof HttpException || !isDatabaseUnavailable(error) || host.getType() !== 'http') {
      return super.catch(error, host);
    }
    host
      .switchToHttp()
      .getResponse<Response>()
      .status(HttpStatus.SERVICE_UNAVAILABLE)
      .setHeader('Retry-After', '1')
      .json({ statusCode: 503, error: 'Service Unavailable', message: 'database unavailable, retry later' });
  }
}
