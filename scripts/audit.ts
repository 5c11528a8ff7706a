/**
 * `npm run audit [-- --json] [--deadline-ms N] [--grace-ms N] [--retention-ms N] [--stock SKU=N ...] [--balance ID=CENTS ...]`
 * reads the four databases read only and lists every violation of
 * docs/ARCHITECTURE.md, "Failure semantics" 1–4, grouped by kind (`--json`: the records). Exit 0
 * when clean, 1 when not, 2 for a usage error or a database it cannot read. The databases: each service's *_DATABASE_URL, else
 * the .env of `npm run infra`, else the embedded default. --stock and --balance say what the
 * data cannot: a SKU's restocked total, a wallet's starting balance.
 */
import { main } from '../tools/audit/cli';

main(process.argv.slice(2)).then((code) => process.exit(code));
