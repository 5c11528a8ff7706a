import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ORDER_SAGA, SAGA_STATUSES, emptySaga, type SagaMessage } from './order-saga.definition';
import { DOC_PATH, REGENERATE, REPRESENTATIVES, outcome, renderOrderSagaDoc } from './order-saga.doc';
import { SAMPLE_MESSAGES } from './order-saga.samples';
import { transition } from './order-saga.transition';

const ROOT = join(__dirname, '..', '..', '..', '..');

describe('docs/order-saga.md', () => {
  it(`is what transition does (to regenerate: ${REGENERATE})`, () => {
    const rendered = renderOrderSagaDoc();
    if (process.env.UPDATE_DOCS === '1') writeFileSync(join(ROOT, DOC_PATH), rendered);
    expect(readFileSync(join(ROOT, DOC_PATH), 'utf8')).toBe(rendered);
  });

  // A reaction no representative saga shows would be missing from the document; a state without one, too.
  it('shows every reaction ORDER_SAGA declares, and in each state only those', () => {
    const sagas = REPRESENTATIVES.map((h) => h.reduce((s, m) => transition(s, m).state, emptySaga('o-1')));
    const messages = Object.values(SAMPLE_MESSAGES) as SagaMessage[];
    for (const status of SAGA_STATUSES) {
      const shown = new Set(
        sagas
          .filter((s) => s.status === status)
          .flatMap((s) => messages.filter((m) => outcome(s, transition(s, m)) !== 'ignored').map((m) => m.type)),
      );
      expect({ status, shown: [...shown].sort() }).toEqual({
        status,
        shown: Object.keys(ORDER_SAGA[status].on).sort(),
      });
    }
  });
});
