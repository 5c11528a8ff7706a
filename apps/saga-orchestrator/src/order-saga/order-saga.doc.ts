import { SAGA_STATUSES, type SagaMessage, type SagaState } from './order-saga.definition';
import { SAMPLE_MESSAGES as M } from './order-saga.samples';
import { emptySaga, transition, type SagaTransition } from './order-saga.transition';

/**
 * docs/order-saga.md, rendered by running `transition` (not by reading the table) over a
 * representative saga of each state × every message: what a reader sees is what the code does.
 */

export const DOC_PATH = 'docs/order-saga.md';
export const REGENERATE =
  'UPDATE_DOCS=1 PASSO_UNIT_ONLY=1 npx jest --selectProjects unit -- apps/saga-orchestrator/src/order-saga/order-saga.doc.spec.ts';

/** A saga in one state, reached by these messages; a status has one per way its reactions differ. */
export const REPRESENTATIVES: readonly (readonly SagaMessage[])[] = [
  [],
  [M.OrderPlaced],
  [M.OrderPlaced, M.StockReserved],
  [M.OrderPlaced, M.StockReserved, M.PaymentCompleted],
  [M.OrderPlaced, M.StockReserved, M.PaymentCompleted, M.OrderConfirmed],
  [M.OrderPlaced, M.StockReservationFailed],
  [M.OrderPlaced, M.StockReserved, M.DeadlinePassed],
  [M.OrderPlaced, M.StockReserved, M.DeadlinePassed, M.PaymentCompleted],
];

const MESSAGES = Object.values(M) as SagaMessage[];
const given = (history: readonly SagaMessage[]) => history.reduce((s, m) => transition(s, m).state, emptySaga('o-1'));

export type Outcome = 'acts' | 'acknowledged' | 'ignored';
/** What a message did: nothing at all is said by the log (acknowledged is expected, ignored is not). */
export function outcome(before: SagaState, { state, commands, log }: SagaTransition): Outcome {
  if (state !== before || commands.length > 0) return 'acts';
  return log.includes('acknowledged') ? 'acknowledged' : 'ignored';
}

export function renderOrderSagaDoc(): string {
  const sagas = REPRESENTATIVES.map((history) => ({ history, state: given(history) }));
  const sections = SAGA_STATUSES.flatMap((status) => sagas.filter((saga) => saga.state.status === status));
  return [
    '# The orchestrated order saga, state by state',
    '',
    '<!-- Generated from ORDER_SAGA (apps/saga-orchestrator/src/order-saga) by running `transition`: do not edit. -->',
    '',
    'What `transition` does with every message in each state of the orchestrated saga (see',
    '[ARCHITECTURE.md, "The saga"](ARCHITECTURE.md#the-saga)). The table it interprets is `ORDER_SAGA` in',
    '`apps/saga-orchestrator/src/order-saga/order-saga.definition.ts`. This file is rendered by running',
    '`transition`, and the unit test `order-saga.doc.spec.ts` fails while the two disagree. After changing',
    'the table, regenerate it (and read the diff: it is the change in behaviour):',
    '',
    '```bash',
    REGENERATE,
    '```',
    '',
    'Each section is a saga in one state, reached by the messages named (a state has one section per way',
    'its answers differ). A row is a message that does something there: the state it leads to, the',
    'commands sent (in order, through the outbox in the same transaction) and what the saga remembers.',
    '_Acknowledged_: expected, and nothing to do. _Ignored_: a duplicate, a late or an impossible',
    'message; the state stays and nothing is sent (the step is only logged). A failure reply is shown',
    `with one reason (${M.StockReservationFailed.reason}, ${M.PaymentFailed.reason}); any other becomes the cancel reason the same way.`,
    '',
    '```mermaid',
    'stateDiagram-v2',
    ...diagram(sagas.map((saga) => saga.state)),
    '```',
    ...sections.flatMap(({ history, state }) => section(history, state)),
    '',
  ].join('\n');
}

function diagram(states: SagaState[]): string[] {
  const edges = new Set(['  [*] --> STARTED']);
  for (const before of states) {
    for (const message of MESSAGES) {
      const r = transition(before, message);
      if (outcome(before, r) !== 'acts') continue;
      const sent = r.commands.map((c) => c.type).join(', ');
      edges.add(`  ${before.status} --> ${r.state.status}: ${message.type}${sent && ` / ${sent}`}`);
    }
  }
  for (const terminal of ['CONFIRMED', 'CANCELLED']) edges.add(`  ${terminal} --> [*]`);
  return [...edges];
}

function section(history: readonly SagaMessage[], before: SagaState): string[] {
  const rows: string[][] = [];
  const by: Record<Outcome, string[]> = { acts: [], acknowledged: [], ignored: [] };
  for (const message of MESSAGES) {
    const r = transition(before, message);
    const kind = outcome(before, r);
    by[kind].push(message.type);
    if (kind === 'ignored') continue;
    const next = r.state.cancelReason && r.state.status !== before.status ? ` (${r.state.cancelReason})` : '';
    rows.push([
      message.type,
      `${r.state.status}${next}`,
      kind === 'acknowledged' ? '— (acknowledged)' : r.commands.map((c) => c.type).join(', '),
      remembered(before, r.state).join(', ') || '—',
    ]);
  }
  const reached = history.length === 0 ? 'a new saga' : `after ${history.map((m) => m.type).join(' → ')}`;
  return [
    '',
    `## ${before.status}, ${reached}`,
    '',
    ...(rows.length > 0
      ? table(['message', 'next state', 'commands', 'remembers'], rows)
      : ['Final: nothing moves it.']),
    '',
    `Ignored: ${by.ignored.join(', ') || '—'}.`,
  ];
}

/** The fields a message changed, besides the status. */
function remembered(before: SagaState, after: SagaState): string[] {
  const fields = Object.keys(after) as (keyof SagaState)[];
  return fields.filter((f) => f !== 'status' && JSON.stringify(before[f]) !== JSON.stringify(after[f]));
}

/** A Markdown table padded the way Prettier pads it, so `prettier --check` leaves the file alone. */
function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((_, col) => Math.max(3, ...[header, ...rows].map((row) => row[col].length)));
  const line = (cells: string[]) => `| ${cells.map((cell, col) => cell.padEnd(widths[col])).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}
