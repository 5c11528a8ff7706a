import type { CancellationReason } from '@passo/contracts';
import type { SagaCommand, SagaMessage, SagaMessageType, SagaState, SagaStatus } from './order-saga.definition';

/**
 * The words a saga declaration is written in (after MassTransit's `During(state, When(message)…)`):
 * per state, what entering it sends, the step it waits on and its undo, and per message the
 * reaction. A message a state does not name is ignored. `order-saga.transition.ts` interprets these
 * words and nothing else, so the whole behaviour stands in `ORDER_SAGA`.
 */

type Message<T extends SagaMessageType> = Extract<SagaMessage, { type: T }>;
/** A saga on its way to CANCELLED: its reason is known. */
export type CancellingSaga = SagaState & { cancelReason: CancellationReason };

/** What a reply reports a participant did: remembered whatever happens next, so a duplicate is recognised. */
export type Learn<T extends SagaMessageType> = (m: Message<T>) => Partial<SagaState>;

export type Reaction<T extends SagaMessageType = SagaMessageType> =
  /** Remembers what the message tells, enters `to` and sends what `to` starts with. */
  | { kind: 'goTo'; to: Exclude<SagaStatus, 'STARTED' | 'CANCELLED'>; learn?: Learn<T> }
  /** Enters CANCELLED: every compensation owed (latest step first), then what CANCELLED starts with. */
  | { kind: 'cancel'; reason: CancellationReason | ((m: Message<T>) => CancellationReason) }
  /** Sends the current step's command again and changes nothing (past the pivot the saga only goes forward). */
  | { kind: 'retry' }
  /** An effect that landed after the cancel: remembered, then undone; ignored once `known`. */
  | { kind: 'undoLate'; known: (s: SagaState) => boolean; learn: Learn<T> }
  /** Expected, and nothing to do (a compensation reporting it is done). */
  | { kind: 'acknowledge' };

/** The undo a step owes while its effect is known and its flag unset; sending it sets the flag (once per saga). */
export interface Compensation {
  owed: (s: SagaState) => boolean;
  command: (s: SagaState) => SagaCommand;
  sets: 'releaseRequested' | 'refundRequested';
}

/** A participant's step: outstanding while the saga is in its state. */
export interface SagaStep {
  command: (s: SagaState) => SagaCommand;
  /** Absent: nothing of this step is ever undone. */
  compensation?: Compensation;
}

export interface StateDeclaration<S extends SagaState = SagaState> {
  /** Sent on entering the state and again on `retry`; its command's name is the step's name. */
  step?: SagaStep;
  /** Sent on entering a state that is no step. */
  onEntry?: (s: S) => SagaCommand[];
  on: { [T in SagaMessageType]?: Reaction<T> };
}

export type SagaDefinition = {
  [S in SagaStatus]: StateDeclaration<S extends 'CANCELLED' ? CancellingSaga : SagaState>;
};

export const goTo = <T extends SagaMessageType>(to: Extract<Reaction, { kind: 'goTo' }>['to'], learn?: Learn<T>) =>
  ({ kind: 'goTo', to, learn }) satisfies Reaction<T>;
export const cancel = <T extends SagaMessageType>(reason: Extract<Reaction<T>, { kind: 'cancel' }>['reason']) =>
  ({ kind: 'cancel', reason }) satisfies Reaction<T>;
export const retry = () => ({ kind: 'retry' }) as const;
export const undoLate = <T extends SagaMessageType>(known: (s: SagaState) => boolean, learn: Learn<T>) =>
  ({ kind: 'undoLate', known, learn }) satisfies Reaction<T>;
export const acknowledge = () => ({ kind: 'acknowledge' }) as const;
