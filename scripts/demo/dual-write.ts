/**
 * `npm run demo:dual-write` — the talk's contrast (docs/TALK.md): the same seeded workload under
 * the same faults, once per delivery (the outbox, publish after commit, publish before commit) and
 * then with the inbox off and on under lost acks, each on a fresh system with the dual-write lab
 * on; then the auditor on each, and one table side by side. Crashed apps are restarted as
 * `npm start` does. Exits 1 when a column that must be clean (the outbox, the inbox on) is not.
 *
 *   npm run demo:dual-write -- [--orders 40] [--seed 1] [--mode choreography] [--details]
 *
 * Progress goes to stderr, the table to stdout. Ctrl-C stops the apps and removes what the run made.
 */
import { main, log, USAGE } from '../../tools/demo/cli';
import { runCommand } from '../../tools/system/command';

runCommand(log, main, USAGE);
