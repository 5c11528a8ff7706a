import { WakeUp } from './relay-wake-up';

describe('WakeUp', () => {
  it('cuts a sleep short on a nudge, asking for no read of the table', async () => {
    const wakeUp = new WakeUp();
    const slept = wakeUp.sleep(60_000);
    wakeUp.nudge();
    await slept;
    expect(wakeUp.takeReadWanted()).toBe(false);
  });

  it('cuts a sleep short on a wake, asking for a read once', async () => {
    const wakeUp = new WakeUp();
    const slept = wakeUp.sleep(60_000);
    wakeUp.wake();
    await slept;
    expect(wakeUp.takeReadWanted()).toBe(true);
    expect(wakeUp.takeReadWanted()).toBe(false);
  });

  it('asks for a read after a sleep that ran its full time (a poll)', async () => {
    const wakeUp = new WakeUp();
    await wakeUp.sleep(5);
    expect(wakeUp.takeReadWanted()).toBe(true);
  });

  it('keeps a wake-up that came while awake: the next sleep returns at once, and the read it asked for', async () => {
    const wakeUp = new WakeUp();
    wakeUp.wake();
    const started = Date.now();
    await wakeUp.sleep(60_000);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(wakeUp.takeReadWanted()).toBe(true);
  });

  it('forgets a spent sleep: a later nudge only arms the next one', async () => {
    const wakeUp = new WakeUp();
    const first = wakeUp.sleep(60_000);
    wakeUp.nudge();
    await first;
    wakeUp.nudge();
    const started = Date.now();
    await wakeUp.sleep(60_000);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(wakeUp.takeReadWanted()).toBe(false);
  });
});
