// Prisma's schema engine as WebAssembly, driven through @prisma/adapter-pg, so migrations work
// offline (the native engine cannot be downloaded here). See docs: ENVIRONMENT.md "Prisma 7 offline".
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type * as AdapterPg from '@prisma/adapter-pg';
import type * as AdapterUtils from '@prisma/driver-adapter-utils';
import type { SchemaEngine } from '@prisma/schema-engine-wasm/schema_engine_bg';
import type * as Pg from 'pg';
import { charMarkingClient, fixedPrismaPg } from './engine-adapter';
import { nodeGlobal as realm, nodeRequire, requireEsm } from '../devstack/node-require';

export type { SchemaEngine };
export type EngineLog = (line: string) => void;

/** A Prisma schema file handed to the engine (path is only used in its error messages). */
export interface DatamodelFile {
  path: string;
  content: string;
}

/** The engine's Rust code panicked. The wasm instance is then unusable for this process. */
export class SchemaEnginePanic extends Error {
  constructor(readonly panicMessage: string) {
    super(`Prisma schema engine panicked: ${panicMessage}`);
    this.name = 'SchemaEnginePanic';
  }
}

interface PanicRegistry {
  set_message(message: string): void;
}
type EngineModule = typeof import('@prisma/schema-engine-wasm/schema_engine_bg');
// @types/node 20 does not declare WebAssembly (it is not in lib ES2023 either).
interface WasmApi {
  instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { exports: WasmExports } }>;
}
interface WasmExports {
  __wbindgen_start(): void;
}

// Everything the engine touches is loaded with Node's own require (see node-require.ts): the glue
// checks `instanceof Promise`/`Uint8Array`, which fails for objects from jest's sandbox realm.
const nodeGlobal = realm as typeof globalThis & {
  PRISMA_WASM_PANIC_REGISTRY?: PanicRegistry;
  WebAssembly: WasmApi;
  __passoSchemaEngine?: EngineState;
};

/**
 * One wasm instance per process, kept in Node's realm: the glue module is a process-wide
 * singleton with caches into the instance's memory, so a second instance (jest evaluates this
 * file once per test file) would corrupt the first.
 */
interface EngineState {
  loading?: Promise<EngineModule>;
  panicMessage?: string;
  onPanic: Set<(message: string) => void>;
}
const state: EngineState = (nodeGlobal.__passoSchemaEngine ??= { onPanic: new Set() });

/** The panic that poisoned the engine in this process, if any (for last-resort error handlers). */
export function lastEnginePanic(): SchemaEnginePanic | undefined {
  return state.panicMessage === undefined ? undefined : new SchemaEnginePanic(state.panicMessage);
}

/**
 * The glue's imports, with the engine's timers unref'd: it arms a 10 s timeout around its advisory
 * lock and never clears it, which would keep a finished CLI (or jest) alive for 10 s.
 */
function unrefTimers(glue: EngineModule): Record<string, unknown> {
  const imports: Record<string, unknown> = { ...glue };
  for (const [name, value] of Object.entries(glue)) {
    if (!name.startsWith('__wbg_setTimeout_') || typeof value !== 'function') continue;
    imports[name] = (...args: unknown[]) => {
      const timer = (value as (...a: unknown[]) => unknown)(...args);
      (timer as { unref?: () => void } | undefined)?.unref?.();
      return timer;
    };
  }
  return imports;
}

function loadEngine(): Promise<EngineModule> {
  state.loading ??= (async () => {
    // Must exist before the first call, or a panic throws inside the message hook instead.
    // A panic inside an async engine task then still traps in a microtask (an uncaught
    // RuntimeError) and the call's promise never settles, so we also fail every run in flight.
    nodeGlobal.PRISMA_WASM_PANIC_REGISTRY ??= {
      set_message(message: string) {
        state.panicMessage = message;
        for (const fail of state.onPanic) fail(message);
      },
    };
    // A bundler-style ES module that imports the .wasm file directly, which Node cannot: wire
    // the wasm instance to its JS glue by hand.
    const glueId = '@prisma/schema-engine-wasm/schema_engine_bg';
    const glue = requireEsm(glueId) as EngineModule;
    const bytes = readFileSync(join(dirname(nodeRequire.resolve(glueId)), 'schema_engine_bg.wasm'));
    const { instance } = await nodeGlobal.WebAssembly.instantiate(bytes, {
      './schema_engine_bg.js': unrefTimers(glue),
    });
    glue.__wbg_set_wasm(instance.exports);
    instance.exports.__wbindgen_start();
    return glue;
  })();
  state.loading.catch(() => (state.loading = undefined));
  return state.loading;
}

/** Engine log lines (JSON) are silent unless DEBUG names passo:migrate. */
export function defaultEngineLog(): EngineLog {
  const debug = (process.env.DEBUG ?? '').split(',').map((s) => s.trim());
  const on = debug.some((d) => d === '*' || d === 'passo:*' || d === 'passo:migrate');
  return on ? (line) => process.stderr.write(`passo:migrate engine ${line}\n`) : () => undefined;
}

/**
 * Runs `fn` with an engine connected to `databaseUrl` (one pooled connection: the engine's
 * advisory lock is never released, so a second connection could block itself), then frees
 * the engine and closes the pool whatever happens.
 */
export async function withSchemaEngine<T>(
  databaseUrl: string,
  datamodelFiles: readonly DatamodelFile[],
  fn: (engine: SchemaEngine) => Promise<T>,
  log: EngineLog = defaultEngineLog(),
): Promise<T> {
  const poisoned = lastEnginePanic();
  if (poisoned) throw poisoned;
  // The engine panics (and so poisons itself) on an empty list instead of returning an error.
  if (datamodelFiles.length === 0) throw new Error('withSchemaEngine: no Prisma schema files given');
  const glue = await loadEngine();
  const adapterPg = nodeRequire('@prisma/adapter-pg') as typeof AdapterPg;
  const utils = nodeRequire('@prisma/driver-adapter-utils') as typeof AdapterUtils;
  const pg = nodeRequire('pg') as typeof Pg;
  const pool = new pg.Pool({ max: 1, connectionString: databaseUrl, Client: charMarkingClient(pg) });
  // An idle-client error (server restart) must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  let engine: SchemaEngine | undefined;
  let fail: (message: string) => void = () => undefined;
  const panicked = new Promise<never>((_, reject) => {
    fail = (message) => reject(new SchemaEnginePanic(message));
  });
  panicked.catch(() => undefined);
  state.onPanic.add(fail);
  try {
    const run = async () => {
      const adapter = utils.bindMigrationAwareSqlAdapterFactory(fixedPrismaPg(adapterPg, pool));
      const datamodels = datamodelFiles.map((f): [string, string] => [f.path, f.content]);
      engine = await glue.SchemaEngine.new({ datamodels }, (line: string) => log(line), adapter);
      return fn(engine);
    };
    return await Promise.race([run(), panicked]);
  } finally {
    state.onPanic.delete(fail);
    // Calling into a panicked instance can trap again.
    if (state.panicMessage === undefined) engine?.free();
    await pool.end();
  }
}
