import { readFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { basename } from 'node:path';

/** Resolves true when something accepts TCP connections on host:port (never hangs). */
export function isPortOpen(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((done) => {
    const socket = createConnection({ port, host });
    const finish = (open: boolean) => {
      socket.destroy();
      done(open);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

/** A TCP port free right now on 127.0.0.1 (the OS picks it), for a process about to listen on it. */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

/** First line a server sends on connect (NATS greets with `INFO {...}`), or null. */
export function readGreeting(port: number, host = '127.0.0.1', timeoutMs = 1500): Promise<string | null> {
  return new Promise((done) => {
    const socket = createConnection({ port, host });
    let data = '';
    const finish = (line: string | null) => {
      socket.destroy();
      done(line);
    };
    socket.setTimeout(timeoutMs, () => finish(data || null));
    socket.on('data', (chunk) => {
      data += chunk.toString('utf8');
      const end = data.indexOf('\n');
      if (end >= 0) finish(data.slice(0, end).trim());
    });
    socket.once('error', () => finish(null));
    socket.once('close', () => finish(data || null));
  });
}

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not come up within ${Math.round(timeoutMs / 1000)} s`);
}

/** The program a live pid runs (basename of argv[0]), or undefined when no such process exists. */
export function processName(pid: number): string | undefined {
  try {
    return basename(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]);
  } catch {
    return undefined;
  }
}
