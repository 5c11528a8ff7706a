import { Catch, UseFilters, applyDecorators, type RpcExceptionFilter } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import type { Envelope, MessageContract } from '@passo/contracts';
import { throwError, type Observable } from 'rxjs';

/**
 * Hands a handler's error to the transport as thrown. Nest's default filter replaces any error
 * that is not an RpcException by "Internal server error", which would be the only reason a
 * dead letter could give.
 */
@Catch()
export class JetStreamErrorFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}

/** A method decorator that checks the handler takes the contract's envelope. */
export type MessageHandlerDecorator<P> = <H extends (envelope: Envelope<P>, ...rest: never[]) => unknown>(
  target: object,
  key: string | symbol,
  descriptor: TypedPropertyDescriptor<H>,
) => void;

/**
 * `@OnMessage(OrderPlaced)` = `@EventPattern(OrderPlaced.subject)`, plus a typed envelope and the
 * handler's own error as the reason of a retry or dead letter.
 */
export function OnMessage<P>(contract: MessageContract<P>): MessageHandlerDecorator<P> {
  return applyDecorators(EventPattern<string>(contract.subject), UseFilters(new JetStreamErrorFilter()));
}
