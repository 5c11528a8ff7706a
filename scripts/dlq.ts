/**
 * `npm run dlq -- list [--limit N] | show <seq> | replay <seq>` — inspect and replay the dead-letter
 * stream; `replay --all | --consumer C | --subject S | --error TEXT [--dry-run]` replays in bulk
 * (filters combine; --dry-run only counts). A dead letter is replayed only to the subject of a
 * contract of libs/contracts. NATS_URL (default nats://127.0.0.1:4222), PASSO_TOPOLOGY_PREFIX
 * (default none); connects as the operator (NATS_ADMIN_USER / NATS_ADMIN_PASSWORD, from the
 * environment or the project's .env).
 */
import { main } from '../tools/operator/dlq-cli';

main(process.argv.slice(2)).then((code) => process.exit(code));
