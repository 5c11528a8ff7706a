/**
 * `npm run bench:outbox` — measures the outbox relay on this machine against the raw ceilings of
 * the same work (plain inserts, plain JetStream async publish), and prints a table:
 *   1. relay throughput and the time to drain a 100,000-row backlog (one relay);
 *   2. end-to-end lag (outbox.add → consumer receives) p50/p99 at a fixed 2,000 events/s.
 * Writer, relay and consumer share this process, and PostgreSQL and NATS share the machine.
 * Figures are printed, never asserted (speed is measured, not tested).
 */
import { main } from '../../tools/bench/outbox-bench';

main().catch((error: Error) => {
  console.error(`[bench] ${error.stack}`);
  process.exit(1);
});
