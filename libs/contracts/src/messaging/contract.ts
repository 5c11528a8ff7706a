import { z } from 'zod';

export type MessageKind = 'event' | 'command';

/**
 * One typed definition of a message, shared by publisher and consumer: its name, NATS subject
 * (`<context>.<kind>.<name>.v<N>`), version and runtime schema.
 */
export interface MessageContract<P = unknown, N extends string = string> {
  readonly kind: MessageKind;
  readonly name: N;
  readonly subject: string;
  /** First subject token: also selects the stream (`orders` → ORDERS). */
  readonly context: string;
  readonly version: number;
  readonly schema: z.ZodType<P>;
}

export type PayloadOf<C> = C extends MessageContract<infer P> ? P : never;

const SUBJECT = /^([a-z][a-z0-9-]*)\.(event|command)\.([a-z][a-z0-9-]*)\.v([1-9][0-9]*)$/;

function define<P, N extends string>(kind: MessageKind, name: N, subject: string, schema: z.ZodType<P>) {
  const match = SUBJECT.exec(subject);
  if (!match) throw new Error(`${name}: subject "${subject}" is not <context>.<kind>.<name>.v<N>`);
  if (match[2] !== kind) throw new Error(`${name}: a ${kind} needs a ".${kind}." subject, got "${subject}"`);
  return Object.freeze({ kind, name, subject, context: match[1], version: Number(match[4]), schema });
}

export function defineEvent<P, N extends string = string>(
  name: N,
  subject: string,
  schema: z.ZodType<P>,
): MessageContract<P, N> {
  return define('event', name, subject, schema);
}

export function defineCommand<P, N extends string = string>(
  name: N,
  subject: string,
  schema: z.ZodType<P>,
): MessageContract<P, N> {
  return define('command', name, subject, schema);
}
