import type { JsMsg } from 'nats';
import { BatchQueue } from './batch-queue';
import type { BatchItem } from './message-processor';

const item = (n: number): BatchItem =>
  ({ contract: {}, msg: { n, working: jest.fn() } as unknown as JsMsg, invoke: jest.fn() }) as unknown as BatchItem;
const ns = (batch: BatchItem[]) => batch.map((i) => (i.msg as unknown as { n: number }).n);

describe('BatchQueue', () => {
  it('hands what arrived together to run as one batch, at most batchSize, one batch at a time', async () => {
    const batches: number[][] = [];
    let running = 0;
    let peak = 0;
    const queue = new BatchQueue(
      3,
      1_000,
      async (batch) => {
        peak = Math.max(peak, ++running);
        batches.push(ns(batch));
        await new Promise((resolve) => setImmediate(resolve));
        running--;
      },
      jest.fn(),
    );
    await Promise.all([1, 2, 3, 4, 5].map((n) => queue.submit(item(n))));
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
    expect(peak).toBe(1);
  });

  it('puts what arrives while a batch runs into the next batch', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const first = new Promise<void>((resolve) => (release = resolve));
    const queue = new BatchQueue(
      10,
      1_000,
      async (batch) => {
        batches.push(ns(batch));
        if (batches.length === 1) await first;
      },
      jest.fn(),
    );
    const settled = [queue.submit(item(1))];
    await new Promise((resolve) => setImmediate(resolve));
    settled.push(queue.submit(item(2)), queue.submit(item(3)));
    release();
    await Promise.all(settled);
    expect(batches).toEqual([[1], [2, 3]]);
  });

  it('settles the messages of a batch whose run rejected, and reports the error', async () => {
    const onError = jest.fn();
    const queue = new BatchQueue(10, 1_000, () => Promise.reject(new Error('bug')), onError);
    await Promise.all([queue.submit(item(1)), queue.submit(item(2))]);
    expect(onError).toHaveBeenCalledWith(new Error('bug'));
  });

  it('keeps queued messages alive while an earlier batch runs, and stops once they are handed to run', async () => {
    jest.useFakeTimers();
    try {
      let release!: () => void;
      const long = new Promise<void>((resolve) => (release = resolve));
      const [a, b] = [item(1), item(2)];
      const queue = new BatchQueue(
        1,
        100,
        async (batch) => {
          if (batch[0] === a) await long;
        },
        jest.fn(),
      );
      const settled = Promise.all([queue.submit(a), queue.submit(b)]);
      jest.advanceTimersByTime(0); // setImmediate: the first batch [a] starts
      jest.advanceTimersByTime(350);
      expect(a.msg.working).not.toHaveBeenCalled(); // the running batch's own business
      expect(b.msg.working).toHaveBeenCalledTimes(3);
      release();
      await jest.runAllTimersAsync();
      await settled;
      jest.advanceTimersByTime(1_000);
      expect(b.msg.working).toHaveBeenCalledTimes(3);
    } finally {
      jest.useRealTimers();
    }
  });
});
