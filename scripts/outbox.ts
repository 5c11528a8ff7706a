/**
 * `npm run outbox -- parked [--service S] [--json] [--limit N]` lists the outbox rows a relay parked
 * (rows the broker can never take: a header NATS refuses, a body above max_payload, a subject no
 * stream takes), and `npm run outbox -- release <id...> | --all [--service S]` hands them back to
 * the relay, which tries them again in order. The databases: each service's *_DATABASE_URL, else
 * the .env of `npm run infra`, else the embedded default.
 */
import { main } from '../tools/operator/outbox-cli';

main(process.argv.slice(2)).then((code) => process.exit(code));
