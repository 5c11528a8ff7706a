import { type ArgumentMetadata, BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';
import type { z } from 'zod';

export interface FieldError {
  field: string;
  message: string;
}

/** Turns zod issues into a 400 whose body names every bad field, e.g. `items.0.quantity`. */
export function badRequest(issues: z.core.$ZodIssue[], prefix?: string): BadRequestException {
  const errors: FieldError[] = issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    const unknownKeys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    return {
      field: unknownKeys.length ? unknownKeys.map((k) => (path ? `${path}.${k}` : k)).join(', ') : path || '(body)',
      message: issue.message,
    };
  });
  const summary = errors.map((e) => `${e.field}: ${e.message}`).join('; ');
  return new BadRequestException({
    statusCode: 400,
    error: 'Bad Request',
    message: `Invalid request: ${summary}`,
    errors,
  });
}

@Injectable()
export class ZodValidationPipe<S extends z.ZodType> implements PipeTransform<unknown, z.infer<S>> {
  constructor(
    private readonly schema: S,
    private readonly prefix?: string,
  ) {}

  transform(value: unknown, metadata?: ArgumentMetadata): z.infer<S> {
    if (metadata?.type === 'body' && value === undefined) {
      const message = 'a JSON object is required (Content-Type: application/json)';
      throw new BadRequestException({
        statusCode: 400,
        error: 'Bad Request',
        message,
        errors: [{ field: '(body)', message }],
      });
    }
    const result = this.schema.safeParse(value);
    if (!result.success) throw badRequest(result.error.issues, this.prefix);
    return result.data;
  }
}
