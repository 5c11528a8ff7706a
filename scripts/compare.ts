/**
 * `npm run compare` — the same workload in each saga mode on one real system (the four apps on
 * fresh databases and streams of their own), then a table: throughput, latency, messages and
 * database commits per saga, and whether every invariant held. Exits 1 when one did not, when an
 * order ended otherwise than the set-up makes certain, or when a mode's sagas did not all settle in time.
 *
 *   npm run compare -- [--orders 200] [--concurrency 20] [--modes choreography,orchestration] [--timeout 120]
 *
 * Progress goes to stderr, the table to stdout. Ctrl-C stops the apps and removes the run's
 * databases and streams.
 */
import { main, log } from '../tools/compare/cli';
import { runCommand } from '../tools/system/command';

runCommand(log, main);
