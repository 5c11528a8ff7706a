import { ensureInfra, type Infra } from '../devstack/infra';

/** A bad option: the command prints it with its usage and exits 2. */
export class UsageError extends Error {}

/**
 * Runs an npm command's `main`: its exit code; a UsageError → 2 with `usage`; anything else → 1
 * with the stack.
 */
export function runCommand(log: (line: string) => void, main: () => Promise<number>, usage = ''): void {
  main().then(
    (code) => process.exit(code),
    (error: Error) => {
      log(
        error instanceof UsageError
          ? `usage: ${error.message}${usage ? `\n${usage}` : ''}`
          : (error.stack ?? error.message),
      );
      process.exit(error instanceof UsageError ? 2 : 1);
    },
  );
}

/** What the body of a run registers to be stopped at its end, or on Ctrl-C (`signalled`: the terminal's). */
export interface Cleanup {
  add(stop: (signalled: boolean) => Promise<unknown>): void;
}

/**
 * Brings up the servers (the embedded ones unless URLs are set) for `body`; at its end, or on
 * Ctrl-C / SIGTERM, stops what it registered, then the servers this run started. An interrupt
 * says what it does and exits 130, leaving nothing of the run behind.
 */
export async function withInfra(
  log: (line: string) => void,
  body: (infra: Infra, cleanup: Cleanup) => Promise<number>,
): Promise<number> {
  const infra = await ensureInfra(log);
  const stops: Array<(signalled: boolean) => Promise<unknown>> = [];
  const stopAll = async (signalled: boolean) => {
    await Promise.all(stops.splice(0).map((stop) => stop(signalled).catch((e: Error) => log(e.message))));
    await infra.stop();
  };
  let interrupted = false;
  const interrupt = (signal: string) => {
    if (interrupted) return;
    interrupted = true;
    log(`${signal}: stopping the apps, removing the run's databases and streams…`);
    void stopAll(signal === 'SIGINT').finally(() => process.exit(130));
  };
  process.on('SIGINT', () => interrupt('SIGINT'));
  process.on('SIGTERM', () => interrupt('SIGTERM'));
  try {
    return await body(infra, { add: (stop) => void stops.push(stop) });
  } catch (error) {
    if (interrupted) await new Promise(() => undefined); // the interrupt handler exits
    throw error;
  } finally {
    if (!interrupted) await stopAll(false);
  }
}
