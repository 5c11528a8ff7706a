import type { AuditResult, ViolationKind } from './types';
import { VIOLATION_KINDS } from './types';

export const KIND_TITLES: Record<ViolationKind, string> = {
  'unsettled-order': 'unsettled orders',
  'ghost-effect': 'ghost effects',
  'double-effect': 'double effects',
  'unbacked-confirmation': 'confirmations without their effects',
  'stock-not-conserved': 'stock not conserved',
  'money-not-conserved': 'money not conserved',
};

/** The CLI's text: a summary line, then the sentences grouped by kind. */
export function formatAudit({ violations, counts, databases }: AuditResult): string {
  const read = `${[...databases].sort(byService).join(', ')} databases read`;
  const flight = counts.inFlight > 0 ? `, ${counts.inFlight} in flight within their deadline` : '';
  const scope = `${counts.orders} orders${flight} (${read})`;
  if (violations.length === 0) return `audit: no violations in ${scope}`;
  const lines = [`audit: ${violations.length} violation${violations.length === 1 ? '' : 's'} in ${scope}`];
  for (const kind of VIOLATION_KINDS) {
    const group = violations.filter((v) => v.kind === kind);
    if (group.length === 0) continue;
    lines.push(`  ${KIND_TITLES[kind]} (${group.length}):`);
    for (const v of group) lines.push(`    ${v.message}`);
  }
  return lines.join('\n');
}

const ORDER = ['order', 'inventory', 'payment', 'orchestrator'];
const byService = (a: string, b: string) => ORDER.indexOf(a) - ORDER.indexOf(b);
