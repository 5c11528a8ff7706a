import type { CancellationReason } from '@passo/contracts';
import {
  ORDER_SAGA,
  cancelOrder,
  onConfirmed,
  type SagaCommand,
  type SagaMessage,
  type SagaState,
  type SagaStep,
} from './order-saga.definition';

export type {
  SagaCommand,
  SagaCommandType,
  SagaItem,
  SagaLine,
  SagaMessage,
  SagaMessageType,
  SagaState,
  SagaStatus,
} from './order-saga.definition';
export { emptySaga } from './order-saga.definition';

export interface SagaTransition {
  state: SagaState;
  commands: SagaCommand[];
  log: string;
}

/**
 * The whole behaviour of the orchestrated saga: pure and total. Any state × message returns a
 * result; a pair the table does not expect (a duplicate, a late or impossible reply) leaves the
 * state as it is and sends nothing, so redelivery can never move a saga backwards.
 */
export function transition(state: SagaState, message: SagaMessage): SagaTransition {
  if (message.type === 'OrderPlaced') {
    if (state.status !== 'STARTED') return ignored(state, message);
    const { orderId, customerId, items } = message;
    return advance({ ...state, orderId, customerId, items }, ORDER_SAGA[0], 'OrderPlaced');
  }
  switch (state.status) {
    case 'CONFIRMED':
      return ignored(state, message);
    case 'CANCELLED':
      return afterCancel(state, message);
    case 'STARTED':
      // OrderPlaced was seen but no command sent yet: nothing to undo.
      return message.type === 'DeadlinePassed' ? fail(state, 'TIMEOUT', message) : ignored(state, message);
  }
  const index = ORDER_SAGA.findIndex((step) => step.status === state.status);
  const step = ORDER_SAGA[index];
  if (!step) return ignored(state, message);

  if (message.type === step.onSuccess) {
    const next = ORDER_SAGA[index + 1];
    const recorded = record(state, message);
    if (next) return advance(recorded, next, message.type);
    const confirmed: SagaState = { ...recorded, status: 'CONFIRMED' };
    const commands = onConfirmed(confirmed);
    return {
      state: confirmed,
      commands,
      log: `${state.status} --${message.type}--> CONFIRMED${commands.map((c) => ` +${c.type}`).join('')}`,
    };
  }
  if (step.onFailure.includes(message.type) && 'reason' in message) return fail(state, message.reason, message);
  if (message.type === 'DeadlinePassed') {
    if (!step.pivot) return fail(state, 'TIMEOUT', message);
    // Past the pivot the saga only goes forward: retry the idempotent step instead of undoing a paid order.
    return { state, commands: [step.command(state)], log: `${state.status} --DeadlinePassed--> retry ${step.name}` };
  }
  return ignored(state, message);
}

function advance(state: SagaState, step: SagaStep, cause: string): SagaTransition {
  const next: SagaState = { ...state, status: step.status };
  return {
    state: next,
    commands: [step.command(next)],
    log: `${state.status} --${cause}--> ${step.status}: ${step.name}`,
  };
}

/**
 * Cancels the saga and, in the same result, every compensation owed (latest step first), then
 * CancelOrder. All are idempotent and leave through the outbox in one transaction, so there is no
 * separate COMPENSATING wait: the saga is CANCELLED as soon as the undo is durably decided.
 */
function fail(state: SagaState, reason: CancellationReason, cause: SagaMessage): SagaTransition {
  const { state: settled, commands: undo } = compensate({ ...state, status: 'CANCELLED', cancelReason: reason });
  const commands = [...undo, cancelOrder(settled, reason)];
  return {
    state: settled,
    commands,
    log: `${state.status} --${cause.type}--> CANCELLED(${reason})${commands.map((c) => ` +${c.type}`).join('')}`,
  };
}

/** A cancelled saga still listens for effects that landed late: money or stock must not be kept. */
function afterCancel(state: SagaState, message: SagaMessage): SagaTransition {
  const late =
    (message.type === 'StockReserved' && !state.stockReserved) ||
    (message.type === 'PaymentCompleted' && !state.paymentCompleted);
  if (late) {
    const { state: settled, commands } = compensate(record(state, message));
    const undo = commands.map((c) => c.type).join(', ') || 'nothing owed';
    return { state: settled, commands, log: `CANCELLED: late ${message.type} -> ${undo}` };
  }
  if (message.type === 'StockReleased' || message.type === 'PaymentRefunded' || message.type === 'OrderCancelled') {
    return { state, commands: [], log: `CANCELLED: ${message.type} acknowledged` };
  }
  return ignored(state, message);
}

function compensate(state: SagaState): { state: SagaState; commands: SagaCommand[] } {
  const commands: SagaCommand[] = [];
  for (const step of [...ORDER_SAGA].reverse()) {
    const command = step.compensation?.(state);
    if (!command) continue;
    commands.push(command);
    if (command.type === 'ReleaseStock') state = { ...state, releaseRequested: true };
    if (command.type === 'RefundPayment') state = { ...state, refundRequested: true };
  }
  return { state, commands };
}

/** Remembers what a participant reports it did, whatever the saga's status. */
function record(state: SagaState, message: SagaMessage): SagaState {
  switch (message.type) {
    case 'StockReserved':
      return { ...state, stockReserved: true, amountCents: message.amountCents, lines: message.lines };
    case 'PaymentCompleted':
      return { ...state, paymentCompleted: true, paymentId: message.paymentId };
    default:
      return state;
  }
}

function ignored(state: SagaState, message: SagaMessage): SagaTransition {
  return { state, commands: [], log: `ignored ${message.type} in ${state.status} (duplicate, late or unexpected)` };
}
