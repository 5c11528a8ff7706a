import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { OUTBOX_OPTIONS, type OutboxOptions } from './outbox.options';
import { OutboxRelay } from './outbox-relay';
import { OutboxService } from './outbox.service';

/** Runs the relay for the app's lifetime (unless `relay.enabled` is false, e.g. a write-only replica). */
@Injectable()
export class OutboxRelayService implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly relay?: OutboxRelay;

  constructor(@Inject(OUTBOX_OPTIONS) options: OutboxOptions, outbox: OutboxService) {
    if (options.relay?.enabled === false) return;
    const relay = (this.relay = new OutboxRelay(options, new Logger(OutboxRelay.name)));
    // Rows committed in this process are published at once as they were written, not after the
    // NOTIFY's round trip and a read of the table.
    outbox.onCommitted((rows) => relay.handOff(rows));
    // …and, while it leads, they need no NOTIFY; while another process's relay leads, it is woken by theirs.
    outbox.skipNotifyWhile(() => relay.active);
    relay.ignoreNotifications(outbox.notifyTag);
  }

  onApplicationBootstrap(): void {
    this.relay?.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.relay?.stop();
  }
}
