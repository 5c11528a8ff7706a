/**
 * The relay's sleep between rounds, cut short by a wake-up. Why a class of its own: a wake-up
 * must never be lost, whether it comes while the relay sleeps or while it is busy (a lost one
 * costs a whole poll interval, or a stop() that waits as long).
 */
export class WakeUp {
  private cutShort?: () => void;
  /** A wake-up that came while the relay was busy: the next sleep returns at once (no lost NOTIFY). */
  private woken = false;

  wake(): void {
    this.woken = true;
    this.cutShort?.();
  }

  sleep(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((done) => {
      const finish = () => {
        clearTimeout(timer);
        // Forgotten once this sleep is over: a later wake() must only set the flag, which the next
        // sleep reads; calling a spent finish would clear it, and the relay would sleep through it.
        if (this.cutShort === finish) this.cutShort = undefined;
        this.woken = false;
        done();
      };
      const timer = setTimeout(finish, ms);
      this.cutShort = finish;
    });
  }
}
