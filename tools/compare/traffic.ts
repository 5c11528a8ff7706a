import type { SagaMode } from '@passo/contracts';
import type { CompareSystem } from '../system/harness';
import type { Workload } from './workload';

export class SettleTimeout extends Error {
  override name = 'SettleTimeout';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** PUT every product and wallet of a workload (before any measurement starts). */
export async function setUp(system: CompareSystem, workload: Workload): Promise<void> {
  for (const { sku, priceCents, available } of workload.products) {
    await send('PUT', `${system.url('inventory-service')}/products/${sku}`, { priceCents, available });
  }
  for (const { id, balanceCents } of workload.wallets) {
    await send('PUT', `${system.url('payment-service')}/customers/${id}`, { balanceCents });
  }
}

/**
 * Places every order of the workload, `concurrency` at a time, and resolves with their ids (in
 * plan order) once none is PENDING; progress on stderr every second; SettleTimeout after
 * `timeoutMs` from the first POST.
 */
export async function placeAndSettle(
  system: CompareSystem,
  mode: SagaMode,
  workload: Workload,
  { concurrency, timeoutMs }: { concurrency: number; timeoutMs: number },
): Promise<string[]> {
  const ids = new Array<string>(workload.orders.length);
  const placement: { done: boolean; error?: unknown } = { done: false };
  let next = 0;
  const worker = async () => {
    for (let n = next++; n < ids.length; n = next++) {
      const url = `${system.url('order-service')}/orders`;
      ids[n] = (await send<{ id: string }>('POST', url, workload.orders[n].body, 201)).id;
    }
  };
  const placing = Promise.all(Array.from({ length: Math.min(concurrency, ids.length) }, worker)).then(
    () => (placement.done = true),
    (error: unknown) => Object.assign(placement, { done: true, error }),
  );
  try {
    await waitSettled(system, mode, ids, placement, timeoutMs);
  } finally {
    await placing;
  }
  return ids;
}

/** Polls the order database (one counted statement each time) while orders are placed and settle. */
async function waitSettled(
  system: CompareSystem,
  mode: SagaMode,
  ids: readonly string[],
  placement: { done: boolean; error?: unknown },
  timeoutMs: number,
): Promise<void> {
  const started = Date.now();
  let lastReport = started;
  for (;;) {
    if (placement.error) throw placement.error;
    system.checkAlive();
    const done = placement.done; // read before the query: every id placed by then is in it
    const placed = ids.filter(Boolean);
    const [{ pending }] = await system
      .databases()
      .order<{ pending: number }>(
        `SELECT count(*) FILTER (WHERE status = 'PENDING')::int AS pending FROM orders WHERE id = ANY($1::uuid[])`,
        [placed],
      );
    const progress = `placed ${placed.length}/${ids.length}, settled ${placed.length - pending}`;
    if (done && pending === 0) return void process.stderr.write(`[compare] ${mode}: ${progress}\n`);
    const elapsed = Date.now() - started;
    if (Date.now() - lastReport >= 1_000) {
      lastReport = Date.now();
      process.stderr.write(`[compare] ${mode}: ${progress} (${Math.round(elapsed / 1000)} s)\n`);
    }
    if (elapsed > timeoutMs) {
      const hint =
        mode === 'orchestration'
          ? 'orchestrated sagas move only when the saga-orchestrator drives them: is it consuming and sending commands?'
          : 'is a service stuck or failing? see the app output above';
      throw new SettleTimeout(
        `${mode}: ${pending} of ${ids.length} orders still PENDING ${Math.round(timeoutMs / 1000)} s after the first was placed — ${hint}`,
      );
    }
    await sleep(250);
  }
}

async function send<T = unknown>(method: string, url: string, body: unknown, expected = 200): Promise<T> {
  const response = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  if (response.status !== expected) throw new Error(`${method} ${url} → ${response.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}
