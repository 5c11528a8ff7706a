import type { OrderView } from '@passo/contracts';
import type { AppProcess } from '../support/app-process';
import type { TestDatabase } from '../support/databases';
import { eventually } from '../support/eventually';
import { http } from '../support/http';
import { TestService } from '../support/service';

/** order-service alone: no inventory or payment runs, so every saga it starts stays PENDING. */
describe('order-service stuck-saga audit', () => {
  const service = new TestService('order-service', {
    env: { SAGA_DEADLINE_MS: '1000', SAGA_STUCK_GRACE_MS: '1500', SAGA_AUDIT_INTERVAL_MS: '200' },
  });
  let db: TestDatabase, app: AppProcess;
  beforeAll(async () => ({ db, app } = await service.start()));
  afterAll(() => service.stop());

  const place = async (customerId: string, sagaMode: string) => {
    const response = await http<OrderView>('POST', `${app.url}/orders`, {
      customerId,
      items: [{ sku: 'BOOK-1', quantity: 1 }],
      sagaMode,
    });
    expect(response.status).toBe(201);
    return response.body.id;
  };
  const stuckGauge = async (mode = 'choreography') => {
    const metrics = (await http<string>('GET', `${app.url}/metrics`)).body;
    return new RegExp(`^passo_saga_stuck\\{mode="${mode}"\\} (\\S+)$`, 'm').exec(metrics)?.[1];
  };
  /**
   * Absence cannot be polled for, so wait for a later audit that proves it: an orchestrated order
   * placed now is flagged only past deadline + grace (2.5 s, a dozen audits), and every audit
   * before it would have repeated a line that is not there.
   */
  const laterAudits = async (witness: string) => {
    const order = await place(witness, 'orchestration');
    await eventually(() => stuckLines().some((line) => line.includes(order)));
  };
  const stuckLines = () =>
    app
      .output()
      .split('\n')
      .filter((line) => line.includes('saga stuck'));

  it('flags a choreographed order past its deadline, an orchestrated one past the grace too, then reports it settled', async () => {
    // The orchestrated order is the older one: when the other is flagged, it was past the deadline too.
    const orchestrated = await place('olga', 'orchestration');
    const choreographed = await place('carl', 'choreography');

    expect(await eventually(async () => ((await stuckGauge()) === '1' ? '1' : undefined))).toBe('1');
    await eventually(() => stuckLines().some((line) => line.includes(choreographed)));
    const flagged = stuckLines().filter((line) => line.includes(choreographed));
    expect(flagged).toHaveLength(1);
    expect(flagged[0]).toContain('carl');
    expect(flagged[0]).toContain('choreographed saga stuck');
    // Past the deadline but within the grace the orchestrator's CancelOrder needs: not yet.
    expect(stuckLines().filter((line) => line.includes(orchestrated))).toEqual([]);
    expect(await stuckGauge('orchestration')).toBe('0');

    // No orchestrator runs here: its saga never started, which only order-service can see.
    expect(await eventually(async () => ((await stuckGauge('orchestration')) === '1' ? '1' : undefined))).toBe('1');
    const orphan = await eventually(() => stuckLines().find((line) => line.includes(orchestrated)));
    expect(orphan).toContain('orchestrated saga stuck');
    expect(orphan).toContain('olga');
    expect(orphan).toContain('did its saga start?');
    // Many audits later, the order is still reported once.
    await laterAudits('wim');
    expect(stuckLines().filter((line) => line.includes(choreographed))).toHaveLength(1);

    // Settled behind the saga's back, as a late participant would settle it.
    await db.query(
      `UPDATE orders SET status = 'CANCELLED', cancellation_reason = 'TIMEOUT', updated_at = now() WHERE id = $1`,
      [choreographed],
    );
    expect(await eventually(async () => ((await stuckGauge()) === '0' ? '0' : undefined))).toBe('0');
    const settled = await eventually(() =>
      app
        .output()
        .split('\n')
        .find((line) => line.includes('settled after being stuck') && line.includes(choreographed)),
    );
    expect(settled).toContain('CANCELLED');
    await laterAudits('wes');
    expect(app.output().split('settled after being stuck').length - 1).toBe(1);
  });
});
