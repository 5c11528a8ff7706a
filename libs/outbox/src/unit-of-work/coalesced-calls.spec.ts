import { PrismaClientKnownRequestError } from '@prisma/client/runtime/client';
import { BatchNeedsSplit } from './batched-effect';
import { CoalescedCalls } from './coalesced-calls';

/** A run the test releases by hand, so what is in flight while others arrive is the test's choice. */
class Runs {
  readonly seen: number[][] = [];
  private readonly gates: (() => void)[] = [];
  hold = false;
  failWith?: (items: readonly number[]) => unknown;

  run = async (items: readonly number[]): Promise<number[]> => {
    this.seen.push([...items]);
    if (this.hold) await new Promise<void>((release) => this.gates.push(release));
    const error = this.failWith?.(items);
    if (error) throw error;
    return items.map((item) => item * 10);
  };

  releaseAll(): void {
    this.hold = false;
    this.gates.splice(0).forEach((release) => release());
  }
}

const turn = () => new Promise((resolve) => setImmediate(resolve));
const poolTimeout = () =>
  new PrismaClientKnownRequestError('Timed out fetching a new connection from the connection pool.', {
    code: 'P2024',
    clientVersion: '7.10.1',
  });

describe('CoalescedCalls', () => {
  it('runs the calls of one turn of the event loop as one run, each caller with its own result', async () => {
    const runs = new Runs();
    const calls = new CoalescedCalls(runs.run, { maxItems: 64, maxInFlight: 2 });
    await expect(Promise.all([1, 2, 3].map((n) => calls.run(n)))).resolves.toEqual([10, 20, 30]);
    expect(runs.seen).toEqual([[1, 2, 3]]);
  });

  it('queues the calls made while maxInFlight runs are out, and sends them together next', async () => {
    const runs = new Runs();
    runs.hold = true;
    const calls = new CoalescedCalls(runs.run, { maxItems: 64, maxInFlight: 2 });
    const first = calls.run(1);
    await turn();
    const second = calls.run(2);
    await turn();
    const later = [3, 4, 5].map((n) => calls.run(n));
    await turn();
    await turn();
    expect(runs.seen).toEqual([[1], [2]]); // two out; 3, 4 and 5 wait
    runs.releaseAll();
    await expect(Promise.all([first, second, ...later])).resolves.toEqual([10, 20, 30, 40, 50]);
    expect(runs.seen).toEqual([[1], [2], [3, 4, 5]]);
  });

  it('sends no more than maxItems in one run', async () => {
    const runs = new Runs();
    const calls = new CoalescedCalls(runs.run, { maxItems: 2, maxInFlight: 4 });
    await Promise.all([1, 2, 3, 4, 5].map((n) => calls.run(n)));
    expect(runs.seen).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('with maxItems 1 runs every call alone, at once', async () => {
    const runs = new Runs();
    const calls = new CoalescedCalls(runs.run, { maxItems: 1, maxInFlight: 2 });
    await Promise.all([1, 2, 3].map((n) => calls.run(n)));
    expect(runs.seen).toEqual([[1], [2], [3]]);
  });

  it('runs each item alone when a run fails for an item, so only that caller fails', async () => {
    const runs = new Runs();
    const bad = new Error('value too long for type character varying');
    runs.failWith = (items) => (items.includes(2) ? bad : undefined);
    const calls = new CoalescedCalls(runs.run, { maxItems: 64, maxInFlight: 2 });
    const results = await Promise.allSettled([1, 2, 3].map((n) => calls.run(n)));
    expect(results).toEqual([
      { status: 'fulfilled', value: 10 },
      { status: 'rejected', reason: bad },
      { status: 'fulfilled', value: 30 },
    ]);
    expect(runs.seen).toEqual([[1, 2, 3], [1], [2], [3]]);
  });

  it('runs each item alone on BatchNeedsSplit', async () => {
    const runs = new Runs();
    runs.failWith = (items) => (items.length > 1 ? new BatchNeedsSplit('not as one') : undefined);
    const calls = new CoalescedCalls(runs.run, { maxItems: 64, maxInFlight: 2 });
    await expect(Promise.all([1, 2].map((n) => calls.run(n)))).resolves.toEqual([10, 20]);
    expect(runs.seen).toEqual([[1, 2], [1], [2]]);
  });

  it('fails every caller of a run the infrastructure failed (pool exhausted), without running them again', async () => {
    const runs = new Runs();
    const busy = poolTimeout();
    runs.failWith = () => busy;
    const calls = new CoalescedCalls(runs.run, { maxItems: 64, maxInFlight: 2 });
    const results = await Promise.allSettled([1, 2, 3].map((n) => calls.run(n)));
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(results.map((result) => (result as PromiseRejectedResult).reason)).toEqual([busy, busy, busy]);
    expect(runs.seen).toEqual([[1, 2, 3]]);
  });
});
