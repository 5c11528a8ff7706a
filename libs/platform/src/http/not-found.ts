import { NotFoundException } from '@nestjs/common';

export function notFound(what: string, id: string): NotFoundException {
  return new NotFoundException({ statusCode: 404, error: 'Not Found', message: `${what} ${id} not found` });
}
