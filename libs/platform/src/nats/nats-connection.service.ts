import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { natsConnectOptions, natsConnectProblem } from '@passo/outbox';
import { connect, type NatsConnection } from 'nats';
import { natsCredentials } from './nats-credentials';

/**
 * One NATS connection per app. It connects in the background and reconnects forever, so an app
 * starts (and reports itself unhealthy) while NATS is down instead of refusing to boot.
 */
@Injectable()
export class NatsConnectionService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(NatsConnectionService.name);
  private connection?: NatsConnection;
  private connecting?: Promise<NatsConnection>;
  private closing = false;

  constructor(private readonly config: ConfigService) {}

  onModuleInit(): void {
    void this.connected().catch(() => undefined);
  }

  get isConnected(): boolean {
    return this.connection !== undefined && !this.connection.isClosed() && !this.connection.isDraining();
  }

  /** Resolves once connected (first connection may wait for the server to come up). */
  connected(): Promise<NatsConnection> {
    this.connecting ??= this.connectLoop();
    return this.connecting;
  }

  private async connectLoop(): Promise<NatsConnection> {
    const servers = this.config.getOrThrow<string>('NATS_URL').split(',');
    const name = this.config.get<string>('SERVICE_NAME') ?? 'passo';
    const credentials = natsCredentials(this.config);
    for (let attempt = 1; !this.closing; attempt++) {
      try {
        const options = natsConnectOptions(servers, name, credentials);
        this.connection = await connect({ ...options, maxReconnectAttempts: -1, reconnectTimeWait: 500 });
        this.logger.log(`connected to NATS ${this.connection.getServer()}`);
        void this.watch(this.connection);
        return this.connection;
      } catch (error) {
        if (attempt === 1 || attempt % 10 === 0) {
          this.logger.warn(`${natsConnectProblem(error, servers, credentials.user)}; retrying`);
        }
        await new Promise((r) => setTimeout(r, Math.min(2_000, 200 * attempt)));
      }
    }
    throw new Error('NATS connection closed during shutdown');
  }

  private async watch(connection: NatsConnection): Promise<void> {
    for await (const status of connection.status()) {
      if (status.type === 'disconnect') this.logger.warn('NATS disconnected; reconnecting');
      if (status.type === 'reconnect') this.logger.log('NATS reconnected');
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    if (this.connection && !this.connection.isClosed()) await this.connection.drain().catch(() => undefined);
  }
}
