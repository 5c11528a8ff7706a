import type { ConnectionOptions } from 'nats';

/** A NATS user: each app connects as its own, with the permissions the server gives it. */
export interface NatsCredentials {
  user: string;
  password: string;
}

/**
 * The options every connection of an app (and of the tools) starts from, so none connects
 * anonymously by mistake: the bus refuses anonymous clients. Callers add their reconnect policy.
 */
export function natsConnectOptions(
  servers: string | readonly string[],
  name: string,
  credentials?: NatsCredentials,
): ConnectionOptions {
  const list = typeof servers === 'string' ? servers.split(',') : [...servers];
  return {
    servers: list.filter(Boolean),
    name,
    // Otherwise every request (each JetStream publish and pull) captures two stack traces up front, in
    // case it times out: 2-3 % of a busy app's CPU in bench:saga profiles. Errors keep their message.
    noAsyncTraces: true,
    ...(credentials ? { user: credentials.user, pass: credentials.password } : {}),
  };
}

/** What to log when a connection attempt fails: refused credentials are not an outage. */
export function natsConnectProblem(error: unknown, servers: string | readonly string[], user?: string): string {
  const list = typeof servers === 'string' ? servers : servers.join(',');
  const { code, message } = error as { code?: string; message?: string };
  if (code === 'AUTHORIZATION_VIOLATION') {
    return `NATS at ${list} refused ${user ? `user "${user}"` : 'an anonymous connection'} (check its NATS user and password)`;
  }
  return `NATS unreachable at ${list} (${message ?? String(error)})`;
}
