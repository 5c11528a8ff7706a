import { STATUS_CODES } from 'node:http';
import { HttpException } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';

/** A Fastify error as fastify-error builds it (e.g. FST_ERR_CTP_INVALID_JSON_BODY). */
interface FastifyError extends Error {
  code?: string;
  statusCode?: number;
}

/**
 * Fastify's own 4xx (a body that is not valid JSON, an empty JSON body, one over the size limit)
 * answered in the shape of the apps' validation 400s — `{statusCode, error, message, errors}` —
 * instead of Nest's bare `{statusCode, message}`, so a client reads every refusal one way; a
 * body's fault names `(body)` as its field.
 */
export function httpErrorBody(error: unknown): HttpException | undefined {
  const fastify = error as FastifyError;
  if (!(error instanceof Error) || fastify.name !== 'FastifyError') return undefined;
  const status = fastify.statusCode;
  if (status === undefined || status < 400 || status >= 500) return undefined;
  const errors = fastify.code?.startsWith('FST_ERR_CTP_') ? [{ field: '(body)', message: fastify.message }] : [];
  return new HttpException(
    { statusCode: status, error: STATUS_CODES[status] ?? 'Bad Request', message: fastify.message, errors },
    status,
    { cause: error },
  );
}

/** Nest's Fastify adapter with the apps' body for Fastify's own 4xx (see httpErrorBody). */
export class PassoFastifyAdapter extends FastifyAdapter {
  override mapException(error: unknown): unknown {
    return httpErrorBody(error) ?? super.mapException(error);
  }
}
