import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { OUTBOX_OPTIONS, type OutboxOptions } from './outbox.options';
import { OutboxRelay } from './outbox-relay';

/** Runs the relay for the app's lifetime (unless `relay.enabled` is false, e.g. a write-only replica). */
@Injectable()
export class OutboxRelayService implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly relay?: OutboxRelay;

  constructor(@Inject(OUTBOX_OPTIONS) options: OutboxOptions) {
    if (options.relay?.enabled !== false) this.relay = new OutboxRelay(options, new Logger(OutboxRelay.name));
  }

  onApplicationBootstrap(): void {
    this.relay?.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.relay?.stop();
  }
}
