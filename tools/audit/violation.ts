import type { Violation, ViolationKind } from './types';

/** A violation with its id lists sorted and deduplicated (empty when not given). */
export function violation(
  kind: ViolationKind,
  message: string,
  ids: { orders?: string[]; skus?: string[]; customers?: string[]; payments?: string[] },
): Violation {
  const list = (values: string[] = []) => [...new Set(values)].sort();
  return {
    kind,
    orderIds: list(ids.orders),
    skus: list(ids.skus),
    customerIds: list(ids.customers),
    paymentIds: list(ids.payments),
    message,
  };
}

export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
