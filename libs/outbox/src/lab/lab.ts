import { DEFAULT_LAB_SETTINGS, LAB_FAULTS, type LabFault, type LabSettings } from '@passo/contracts';

/**
 * The dual-write lab's switches for one process (PASSO_LAB=on only: with the lab off no Lab is
 * made, and every `lab?.` in the outbox, inbox and transport is a no-op).
 *
 * Faults are failpoints, as etcd's gofail and pingcap's failpoint have them: named points in the
 * code that do nothing unless armed. Each draws from its own seeded generator, so arming one does
 * not shift another's draws, and a run is repeatable from its seed and its number of restarts.
 */
export class Lab {
  private current: LabSettings = DEFAULT_LAB_SETTINGS;
  private draws = new Map<LabFault, () => number>();

  constructor(
    /** Told of every failpoint that fires (the app counts them in passo_lab_faults_fired_total). */
    private readonly onFire: (fault: LabFault) => void = () => undefined,
  ) {
    this.apply(DEFAULT_LAB_SETTINGS);
  }

  get settings(): LabSettings {
    return this.current;
  }

  get delivery(): LabSettings['delivery'] {
    return this.current.delivery;
  }

  /** Whether consumers record what they handled (the inbox), and so skip a redelivery. */
  get inboxOn(): boolean {
    return this.current.inbox === 'on';
  }

  /**
   * `generation` counts the app's starts with these settings: a restarted app must not replay the
   * draws that crashed it (the same first draw would crash it again, every time).
   */
  apply(settings: LabSettings, generation = 0): void {
    this.current = settings;
    this.draws = new Map(LAB_FAULTS.map((fault, i) => [fault, mulberry32(mix(settings.seed, i, generation))]));
  }

  /** The failpoint `fault`: true (fire) with its armed probability, false when it is not armed. */
  fires(fault: LabFault): boolean {
    const p = this.current.faults[fault];
    if (!(p > 0) || this.draws.get(fault)!() >= p) return false;
    this.onFire(fault);
    return true;
  }

  /** The failpoint `crashAfterCommit`: a kill -9 of this very process, if it fires. */
  crashAfterCommit(where: string): void {
    if (!this.fires('crashAfterCommit')) return;
    process.stderr.write(`lab: crashAfterCommit fired after ${where}: kill -9 of this process\n`);
    process.kill(process.pid, 'SIGKILL');
  }

  /** The failpoint `rollbackAfterPublish`: fails the caller's transaction, if it fires. */
  rollbackAfterPublish(where: string): void {
    if (this.fires('rollbackAfterPublish')) throw new LabFaultError('rollbackAfterPublish', where);
  }
}

/**
 * A fault the lab injected. Classified as transient (see classify.ts): the message is fine, so a
 * consumer retries it without limit and never dead-letters it, as after a dropped connection.
 */
export class LabFaultError extends Error {
  override readonly name = 'LabFaultError';

  constructor(
    readonly fault: LabFault,
    where: string,
  ) {
    super(`lab fault ${fault} injected ${where}`);
  }
}

function mix(seed: number, stream: number, generation: number): number {
  return (Math.imul(seed ^ 0x9e37_79b9, 0x85eb_ca6b) ^ Math.imul(stream + 1, 0xc2b2_ae35) ^ generation) >>> 0;
}

/** A small seeded generator (Tommy Ettinger's mulberry32): uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b_79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
