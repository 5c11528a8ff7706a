import { join, resolve } from 'node:path';

/** Project root, whatever the caller's working directory. */
export const ROOT = resolve(__dirname, '..', '..');
/** Git-ignored home of the embedded servers' data and logs. */
export const STATE_DIR = process.env.PASSO_STATE_DIR ?? join(ROOT, '.passo');
