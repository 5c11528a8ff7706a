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

export interface OnMessageOptions<P> {
  /**
   * The messages the handler is for (e.g. `isChoreographed`): any other is acked by the transport
   * at once — after its checks, without a unit of work or the handler — as the handler would have
   * done with it, effect-free (a message of the other saga model, which every consumer of its
   * subject receives).
   */
  only?: (envelope: Envelope<P>) => boolean;
}

/** The `only` of a handler's @OnMessage, as the transport reads it from the handler's extras. */
export function onlyOf(extras: Record<string, unknown> | undefined): ((envelope: Envelope) => boolean) | undefined {
  return extras?.only as ((envelope: Envelope) => boolean) | undefined;
}

/**
 * `@OnMessage(OrderPlaced)` = `@EventPattern(OrderPlaced.subject)`, plus a typed envelope and the
 * handler's own error as the reason of a retry or dead letter; `{ only }` filters before the handler.
 */
export function OnMessage<P>(
  contract: MessageContract<P>,
  { only }: OnMessageOptions<P> = {},
): MessageHandlerDecorator<P> {
  return applyDecorators(
    EventPattern<string>(contract.subject, only ? { only } : {}),
    UseFilters(new JetStreamErrorFilter()),
  );
}
