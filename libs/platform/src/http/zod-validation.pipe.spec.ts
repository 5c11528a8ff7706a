import { BadRequestException } from '@nestjs/common';
import { IdempotencyKeySchema, PlaceOrderSchema } from '@passo/contracts';
import { ZodValidationPipe } from './zod-validation.pipe';

describe('ZodValidationPipe', () => {
  const pipe = new ZodValidationPipe(PlaceOrderSchema);

  function errorsOf(value: unknown) {
    try {
      pipe.transform(value);
    } catch (error) {
      expect(error).toBeInstanceOf(BadRequestException);
      return (error as BadRequestException).getResponse() as { message: string; errors: { field: string }[] };
    }
    throw new Error('expected a 400');
  }

  it('passes a valid value through, parsed', () => {
    expect(pipe.transform({ customerId: 'a', items: [{ sku: 'S', quantity: 1 }] })).toEqual({
      customerId: 'a',
      items: [{ sku: 'S', quantity: 1 }],
    });
  });

  it('names nested fields with dotted paths and unknown keys by name', () => {
    const body = errorsOf({ customerId: 'a', items: [{ sku: 'S', quantity: 0 }], extra: 1 });
    expect(body.errors.map((e) => e.field).sort()).toEqual(['extra', 'items.0.quantity']);
    expect(body.message).toContain('items.0.quantity');
  });

  it('names a scalar (header, path parameter) by the name it was given', () => {
    const header = new ZodValidationPipe(IdempotencyKeySchema, 'Idempotency-Key');
    try {
      header.transform('has spaces');
      throw new Error('expected a 400');
    } catch (error) {
      const body = (error as BadRequestException).getResponse() as { errors: { field: string }[] };
      expect(body.errors.map((e) => e.field)).toEqual(['Idempotency-Key']);
    }
  });
});
