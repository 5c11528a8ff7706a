import type { JsMsg } from 'nats';
import { FailureCounts } from './failure-counts';

const msg = (streamSequence: number, stream = 'ORDERS') => ({ info: { stream, streamSequence } }) as unknown as JsMsg;

describe('FailureCounts', () => {
  it('counts unknown and transient failures of one message apart', () => {
    const counts = new FailureCounts();
    expect([counts.failed(msg(1)), counts.failedTransiently(msg(1)), counts.failed(msg(1))]).toEqual([1, 1, 2]);
    expect(counts.failedTransiently(msg(1))).toBe(2);
  });

  it('keys by stream and sequence, and forgets a settled message', () => {
    const counts = new FailureCounts();
    counts.failed(msg(1));
    expect(counts.failed(msg(1, 'PAYMENTS'))).toBe(1);
    counts.forget(msg(1));
    expect(counts.failed(msg(1))).toBe(1);
  });

  it('stays bounded, forgetting the least recently failed first', () => {
    const counts = new FailureCounts(3);
    [1, 2, 3].forEach((seq) => counts.failed(msg(seq)));
    counts.failed(msg(1)); // 1 is now the most recent
    counts.failed(msg(4)); // evicts 2
    expect(counts.size).toBe(3);
    expect(counts.failed(msg(1))).toBe(3);
    expect(counts.failed(msg(2))).toBe(1);
  });
});
