import { ORDER_SAGA, SAGA_STATUSES, type SagaCommand, type SagaMessage, type SagaState } from './order-saga.definition';
import type { Reaction } from './saga-declaration';

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
 * The interpreter of `ORDER_SAGA`: pure and total. Any state × message returns a result; a pair
 * the table does not name leaves the state as it is and sends nothing. It knows the reactions'
 * kinds, never a message type: what the saga does stands in the table alone.
 */
export function transition(state: SagaState, message: SagaMessage): SagaTransition {
  const from = state.status;
  const declared = ORDER_SAGA[from];
  // The table pairs each message type with a reaction to that type; TypeScript cannot follow the pairing through a lookup.
  const reaction = declared.on[message.type] as Reaction | undefined;
  switch (reaction?.kind) {
    case 'goTo': {
      const next: SagaState = { ...state, ...reaction.learn?.(message), status: reaction.to };
      const { step, onEntry } = ORDER_SAGA[reaction.to];
      const arrow = `${from} --${message.type}--> ${reaction.to}`;
      if (step) {
        const command = step.command(next);
        return { state: next, commands: [command], log: `${arrow}: ${command.type}` };
      }
      const commands = onEntry?.(next) ?? [];
      return { state: next, commands, log: `${arrow}${listed(commands)}` };
    }
    case 'cancel': {
      const reason = typeof reaction.reason === 'function' ? reaction.reason(message) : reaction.reason;
      const { state: settled, commands: undo } = compensate({ ...state, status: 'CANCELLED', cancelReason: reason });
      const commands = [...undo, ...(ORDER_SAGA.CANCELLED.onEntry?.(settled) ?? [])];
      return { state: settled, commands, log: `${from} --${message.type}--> CANCELLED(${reason})${listed(commands)}` };
    }
    case 'retry': {
      if (!declared.step) throw new Error(`retry declared in ${from}, which has no step`);
      const command = declared.step.command(state);
      return { state, commands: [command], log: `${from} --${message.type}--> retry ${command.type}` };
    }
    case 'undoLate': {
      if (reaction.known(state)) return ignored(state, message);
      const { state: settled, commands } = compensate({ ...state, ...reaction.learn(message) });
      const undo = commands.map((c) => c.type).join(', ') || 'nothing owed';
      return { state: settled, commands, log: `${from}: late ${message.type} -> ${undo}` };
    }
    case 'acknowledge':
      return { state, commands: [], log: `${from}: ${message.type} acknowledged` };
    case undefined:
      return ignored(state, message);
  }
}

/**
 * Every compensation owed, latest step first, each flagged as sent. All are idempotent and leave
 * through the outbox in one transaction with the saga, so there is no separate COMPENSATING wait:
 * the saga is CANCELLED as soon as the undo is durably decided.
 */
function compensate<S extends SagaState>(state: S): { state: S; commands: SagaCommand[] } {
  const commands: SagaCommand[] = [];
  for (const status of [...SAGA_STATUSES].reverse()) {
    const compensation = ORDER_SAGA[status].step?.compensation;
    if (!compensation || state[compensation.sets] || !compensation.owed(state)) continue;
    commands.push(compensation.command(state));
    state = { ...state, [compensation.sets]: true };
  }
  return { state, commands };
}

const listed = (commands: SagaCommand[]) => commands.map((c) => ` +${c.type}`).join('');

function ignored(state: SagaState, message: SagaMessage): SagaTransition {
  return { state, commands: [], log: `ignored ${message.type} in ${state.status} (duplicate, late or unexpected)` };
}
