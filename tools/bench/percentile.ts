/** Nearest-rank percentile of an ascending list; undefined when empty. Shared by compare and the bench. */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}
