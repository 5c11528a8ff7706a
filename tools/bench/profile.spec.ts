import { packageOf, profileLines, summariseProfile, type CpuProfile } from './profile';

const ROOT = '/repo';

describe('packageOf', () => {
  it.each([
    ['file:///repo/node_modules/@prisma/client/runtime/client.js', 'x', '@prisma/client'],
    ['file:///repo/node_modules/pg/lib/client.js', 'x', 'pg'],
    ['file:///repo/node_modules/@dbos-inc/dbos-sdk/node_modules/commander/index.js', 'x', 'commander'],
    ['file:///repo/dist/apps/order-service/libs/outbox/src/relay.js', 'x', 'passo:libs/outbox'],
    ['file:///repo/dist/apps/order-service/apps/order-service/src/main.js', 'x', 'passo:apps/order-service'],
    ['file:///repo/tools/bench/dbos/app.ts', 'x', 'passo:tools/bench'],
    ['node:internal/streams/writable', 'x', 'node:internal'],
    ['node:net', 'x', 'node:internal'],
    ['wasm://wasm/0012abcd', 'x', '(wasm)'],
    ['', '(garbage collector)', '(gc)'],
    ['', '(idle)', '(idle)'],
    ['', '(program)', '(program)'],
    ['', 'writev', '(native)'],
    ['file:///elsewhere/x.js', 'x', '(other)'],
  ])('%s %s → %s', (url, functionName, expected) => {
    expect(packageOf(url, functionName, ROOT)).toBe(expected);
  });
});

describe('summariseProfile', () => {
  // root → a (pg) → b (@prisma/client); plus idle and gc. Times in µs.
  const frame = (url: string, functionName = 'f') => ({ url, functionName });
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame('', '(root)') },
      { id: 2, callFrame: frame('file:///repo/node_modules/pg/lib/client.js') },
      { id: 3, callFrame: frame('file:///repo/node_modules/@prisma/client/runtime/client.js') },
      { id: 4, callFrame: frame('', '(idle)') },
      { id: 5, callFrame: frame('', '(garbage collector)') },
    ],
    samples: [2, 3, 3, 4, 4, 5, 3],
    timeDeltas: [1_000, 2_000, 2_000, 10_000, 10_000, 1_000, 4_000],
  };

  it('gives each sample its time, by package, with shares of the busy time', () => {
    const summary = summariseProfile(profile, ROOT);
    expect(summary.totalMs).toBe(30);
    expect(summary.idleMs).toBe(20);
    expect(summary.busyMs).toBe(10);
    expect(summary.rows).toEqual([
      { name: '@prisma/client', ms: 8, share: 0.8 },
      { name: 'pg', ms: 1, share: 0.1 },
      { name: '(gc)', ms: 1, share: 0.1 },
    ]);
  });

  it('prints the top rows', () => {
    expect(profileLines('order-service', summariseProfile(profile, ROOT), 2)).toEqual([
      'order-service: busy 0.0 s of 0.0 s profiled (idle 0.0 s)',
      '   80.0 %      0.0 s  @prisma/client',
      '   10.0 %      0.0 s  pg',
    ]);
  });
});
