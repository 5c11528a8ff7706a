import * as ownModule from 'node:module';
import { runInThisContext } from 'node:vm';

type ModuleApi = typeof import('node:module');

/**
 * Node's own global and require, reached through Node's own realm. Jest (on Node 20) cannot
 * require an ES module and wraps `module.createRequire`, and some packages check
 * `instanceof Promise`/`Uint8Array`, which fails for objects from jest's sandbox realm.
 * Outside jest these are the ordinary global and require.
 */
export const nodeGlobal = runInThisContext('globalThis') as typeof globalThis;
// getBuiltinModule is Node >= 20.16; outside jest our own node:module is Node's anyway.
const nodeModule = (nodeGlobal.process.getBuiltinModule?.('node:module') ?? ownModule) as ModuleApi;
export const nodeRequire = nodeModule.createRequire(__filename);

/** require() of an ES-module-only package (Node >= 20.19), with a clear error on older Node. */
export function requireEsm(id: string): unknown {
  try {
    return nodeRequire(id);
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_REQUIRE_ESM') throw error;
    throw new Error(`Node ${process.versions.node} cannot require() the ES module ${id}: use Node >= 20.19`, {
      cause: error,
    });
  }
}
