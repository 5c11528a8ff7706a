import type { TestDatabase } from './databases';

/**
 * The orchestrator's clock, driven by the test: the sagas' deadlines are moved into the past, so
 * the next sweep (every SAGA_DEADLINE_CHECK_MS) finds them due. Tests that use it run with a
 * deadline far away (DISTANT_DEADLINE_MS), so a saga times out exactly when the test says and
 * never because the machine was slow.
 */
export const DISTANT_DEADLINE_MS = String(3_600_000);

export async function passDeadlines(orchestratorDb: TestDatabase, orderIds: string[]): Promise<void> {
  const moved = await orchestratorDb.query<{ order_id: string }>(
    `UPDATE saga_instances SET deadline = now() - interval '1 second'
      WHERE order_id = ANY($1::uuid[]) AND state NOT IN ('CONFIRMED', 'CANCELLED') RETURNING order_id::text`,
    [orderIds],
  );
  if (moved.length !== orderIds.length) {
    const missing = orderIds.filter((id) => !moved.some((row) => row.order_id === id));
    throw new Error(`no active saga to time out for order(s) ${missing.join(', ')}`);
  }
}
