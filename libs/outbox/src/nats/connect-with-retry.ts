import type { LoggerService } from '@nestjs/common';
import { connect, type NatsConnection } from 'nats';
import { natsConnectOptions, natsConnectProblem, type NatsCredentials } from './nats-connect';

/**
 * Connects, retrying while NATS is down (an app started before its broker waits for it instead of
 * crashing), until `cancelled()` says the app is shutting down.
 */
export async function connectWithRetry(
  servers: string[],
  name: string,
  logger: LoggerService,
  cancelled: () => boolean,
  credentials?: NatsCredentials,
): Promise<NatsConnection> {
  for (let attempt = 1; ; attempt++) {
    try {
      const options = natsConnectOptions(servers, name, credentials);
      const nc = await connect({ ...options, maxReconnectAttempts: -1, reconnectTimeWait: 500 });
      if (attempt > 1) logger.log(`connected to NATS ${nc.getServer()} after ${attempt} attempts`);
      return nc;
    } catch (error) {
      if (attempt === 1 || attempt % 10 === 0) {
        logger.warn(`${natsConnectProblem(error, servers, credentials?.user)}; retrying`);
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 200 * attempt)));
      if (cancelled()) throw new Error('JetStreamTransport closed before NATS was reachable', { cause: error });
    }
  }
}
