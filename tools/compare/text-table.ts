/** Rows of cells as aligned plain text: the first column left-aligned, the others right-aligned. */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const lines = [header, ...rows];
  const widths = header.map((_, col) => Math.max(...lines.map((line) => line[col].length)));
  const format = (line: readonly string[]) =>
    line.map((cell, col) => (col === 0 ? cell.padEnd(widths[col]) : cell.padStart(widths[col]))).join('   ');
  return [format(header), widths.map((w) => '-'.repeat(w)).join('   '), ...rows.map(format)].join('\n');
}
