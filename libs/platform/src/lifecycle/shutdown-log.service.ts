import { type BeforeApplicationShutdown, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';

/** Makes a graceful stop visible in the logs: what signal came, and that cleanup finished. */
@Injectable()
export class ShutdownLogService implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('Shutdown');
  private startedAt = 0;

  beforeApplicationShutdown(signal?: string): void {
    this.startedAt = Date.now();
    this.logger.log(`received ${signal ?? 'shutdown'}, finishing in-flight work`);
  }

  onApplicationShutdown(): void {
    this.logger.log(`stopped cleanly in ${Date.now() - this.startedAt} ms`);
  }
}
