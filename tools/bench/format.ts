/** A table row: a section heading, or a label with one cell per column. */
export type Row = { section: string } | { label: string; cells: readonly string[] };

/**
 * Passo relative to DBOS, oriented so that above 1 Passo is ahead: throughput passo ÷ dbos,
 * latency and CPU (lower is better) dbos ÷ passo. Undefined when either side is missing or 0.
 */
export function ratio(
  passo: number | undefined,
  dbos: number | undefined,
  better: 'higher' | 'lower',
): number | undefined {
  if (passo === undefined || dbos === undefined || passo <= 0 || dbos <= 0) return undefined;
  return better === 'higher' ? passo / dbos : dbos / passo;
}

export const times = (r: number | undefined): string => (r === undefined ? '—' : `${r.toFixed(2)}×`);

/** A number with a fixed count of decimals, or "—". */
export const num = (value: number | undefined, decimals = 0): string =>
  value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(decimals);

/** A whole number with thousands separators: 21,000. */
export const count = (value: number): string => value.toLocaleString('en-US', { maximumFractionDigits: 0 });

/** Plain-text table: first column left-aligned, the others right-aligned; sections as their own lines. */
export function renderTable(header: readonly string[], rows: readonly Row[]): string {
  const lines = rows.filter((r): r is Extract<Row, { label: string }> => 'label' in r);
  const widths = header.map((h, col) =>
    Math.max(
      h.length,
      ...lines.map((line) => (col === 0 ? line.label.length + 2 : (line.cells[col - 1] ?? '').length)),
    ),
  );
  const format = (cells: readonly string[]) =>
    cells
      .map((cell, col) => (col === 0 ? cell.padEnd(widths[col]) : cell.padStart(widths[col])))
      .join('   ')
      .trimEnd();
  const out = [format(header), widths.map((w) => '-'.repeat(w)).join('   ')];
  for (const row of rows) {
    if ('section' in row) out.push(row.section);
    else out.push(format([`  ${row.label}`, ...header.slice(1).map((_, i) => row.cells[i] ?? '')]));
  }
  return out.join('\n');
}
