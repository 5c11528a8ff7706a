/**
 * The relay's sleep between rounds, cut short by a wake-up. Why a class of its own: a wake-up
 * must never be lost, whether it comes while the relay sleeps or while it is busy (a lost one
 * costs a whole poll interval, or a stop() that waits as long). It also keeps why the relay was
 * woken: rows handed over in memory need no read of the table; a NOTIFY, a poll or a plain
 * wake() does.
 */
export class WakeUp {
  private cutShort?: () => void;
  /** A wake-up that came while the relay was busy: the next sleep returns at once (no lost NOTIFY). */
  private woken = false;
  /** Since the last takeReadWanted(), something asked for a read of the table. */
  private readWanted = false;

  /** Wakes the relay to read the table: rows may be there that no one handed over. */
  wake(): void {
    this.readWanted = true;
    this.nudge();
  }

  /** Wakes the relay for rows handed over in memory (no read needed for them). */
  nudge(): void {
    this.woken = true;
    this.cutShort?.();
  }

  /** Whether a read was asked for (wake(), or a sleep that ran its full time: a poll) since the last call. */
  takeReadWanted(): boolean {
    const wanted = this.readWanted;
    this.readWanted = false;
    return wanted;
  }

  sleep(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((done) => {
      const finish = (polled: boolean) => {
        clearTimeout(timer);
        // Forgotten once this sleep is over: a later wake() must only set the flag, which the next
        // sleep reads; calling a spent finish would clear it, and the relay would sleep through it.
        if (this.cutShort === cut) this.cutShort = undefined;
        this.woken = false;
        if (polled) this.readWanted = true;
        done();
      };
      const cut = () => finish(false);
      const timer = setTimeout(() => finish(true), ms);
      this.cutShort = cut;
    });
  }
}
