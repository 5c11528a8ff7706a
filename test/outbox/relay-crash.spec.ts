import { join } from 'node:path';
import { eventually } from '../support/eventually';
import { spawnFixture } from '../support/fixture-child';
import { outboxFixture, type OutboxFixture } from './fixtures/outbox-fixture';

/** Runs the relay fixture in a child process and resolves with how it ended. */
function runRelayChild(f: OutboxFixture, killBeforeMark: boolean) {
  const { contracts: _contracts, ...options } = f.options;
  return spawnFixture(join(__dirname, 'fixtures', 'relay-child.ts'), {
    PASSO_RELAY_OPTIONS: JSON.stringify(options),
    PASSO_KILL_BEFORE_MARK: killBeforeMark ? '1' : '0',
  });
}

/**
 * Until a session of this database has finished `attempts` lock attempts in a row (one backend,
 * one later query start each): a relay that got the lock would have gone on to LISTEN instead of
 * trying again, so each attempt before the last was refused.
 */
async function lockAttemptsRefused(f: OutboxFixture, attempts: number): Promise<void> {
  const seen = new Map<number, Set<string>>();
  await eventually(async () => {
    const rows = await f.db.query<{ pid: number; started: string }>(
      `SELECT pid, query_start::text AS started FROM pg_stat_activity
        WHERE datname = current_database() AND state = 'idle' AND query LIKE 'SELECT pg_try_advisory_lock(%'`,
    );
    for (const { pid, started } of rows) seen.set(pid, (seen.get(pid) ?? new Set()).add(started));
    return [...seen.values()].some((starts) => starts.size >= attempts);
  });
}

describe('relay killed between publish and mark (SIGKILL)', () => {
  let f: OutboxFixture;
  beforeEach(async () => {
    f = await outboxFixture();
  });
  afterEach(() => f.close());

  it('re-publishes on restart and the broker keeps each message once', async () => {
    const ids = await f.commit(20);
    const doomed = runRelayChild(f, true);
    expect(await doomed.exited).toBe('SIGKILL');
    expect(doomed.output()).toContain('published 20, dying before marking');
    // The crash window: the broker has all 20, the database still says none was published.
    expect(await f.published()).toHaveLength(20);
    expect(await f.db.query('SELECT count(*)::int AS n FROM outbox_messages WHERE published_at IS NULL')).toEqual([
      { n: 20 },
    ]);

    const survivor = runRelayChild(f, false);
    try {
      await eventually(async () => {
        const [{ n }] = await f.db.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM outbox_messages WHERE published_at IS NULL',
        );
        return n === 0;
      }, 20_000);
    } finally {
      survivor.child.kill('SIGTERM');
      await survivor.exited;
    }
    const published = await f.published();
    expect(published.map((m) => m.id)).toEqual(ids);
    expect(published.map((m) => m.n)).toEqual([...Array(20).keys()]);
  });

  it('hands over to a standby relay when the active one is killed', async () => {
    const active = runRelayChild(f, false);
    try {
      await f.commit(5);
      await eventually(async () => (await f.published()).length === 5, 20_000);
      const standby = f.relay();
      standby.start();
      await lockAttemptsRefused(f, 2);
      expect(standby.active).toBe(false); // the child holds the lock
      active.child.kill('SIGKILL');
      expect(await active.exited).toBe('SIGKILL');
      await f.commit(5, 5);
      await eventually(async () => (await f.published()).length === 10, 20_000);
      expect(standby.active).toBe(true);
      expect((await f.published()).map((m) => m.n)).toEqual([...Array(10).keys()]);
    } finally {
      active.child.kill('SIGKILL');
    }
  });
});
