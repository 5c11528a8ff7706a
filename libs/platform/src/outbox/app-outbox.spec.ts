import { relayCleanup } from './app-outbox';

describe('relayCleanup', () => {
  it('cleans up four times per retention, once a minute at most, once a second at least', () => {
    expect(relayCleanup(86_400_000)).toEqual({ retentionMs: 86_400_000, cleanupIntervalMs: 60_000 });
    expect(relayCleanup(240_000)).toEqual({ retentionMs: 240_000, cleanupIntervalMs: 60_000 });
    expect(relayCleanup(60_000)).toEqual({ retentionMs: 60_000, cleanupIntervalMs: 15_000 });
    expect(relayCleanup(60_002).cleanupIntervalMs).toBe(15_001); // rounded: 15,000.5
    expect(relayCleanup(2_000).cleanupIntervalMs).toBe(1_000);
  });
});
