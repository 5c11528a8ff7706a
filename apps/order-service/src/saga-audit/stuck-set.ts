import type { StuckOrder } from './saga-audit.repository';

export interface StuckChanges {
  /** Stuck now, not at the previous audit: each is reported once. */
  newlyStuck: StuckOrder[];
  /** Stuck at the previous audit, not now: settled (or, rarely, gone). */
  left: string[];
}

/**
 * The orders seen stuck at the last audit, and nothing else: memory stays bounded by the page
 * the audit reads, however long the service runs.
 */
export class StuckSet {
  private current = new Set<string>();

  get size(): number {
    return this.current.size;
  }

  /** What changed since the last `remember`; changes nothing, so a failed report can be retried. */
  diff(stuck: readonly StuckOrder[]): StuckChanges {
    const next = new Set(stuck.map((order) => order.id));
    return {
      newlyStuck: stuck.filter((order) => !this.current.has(order.id)),
      left: [...this.current].filter((id) => !next.has(id)),
    };
  }

  remember(stuck: readonly StuckOrder[]): void {
    this.current = new Set(stuck.map((order) => order.id));
  }
}
