import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { CommandBus } from '@nestjs/cqrs';
import { AdvanceSaga } from './advance-saga.handler';
import { SagasRepository } from './sagas.repository';

const BATCH = 100;

/**
 * Fires DeadlinePassed for sagas past their deadline. Every replica sweeps; two firing for one saga
 * conflict on its version and the loser finds it no longer due, so a deadline acts once.
 */
@Injectable()
export class SagaDeadlines implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('SagaDeadlines');
  private timer?: NodeJS.Timeout;
  private sweeping?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly sagas: SagasRepository,
    private readonly commands: CommandBus,
    private readonly config: ConfigService,
  ) {}

  onApplicationBootstrap(): void {
    const every = this.config.getOrThrow<number>('SAGA_DEADLINE_CHECK_MS');
    this.timer = setInterval(() => {
      this.sweeping ??= this.sweep().finally(() => (this.sweeping = undefined));
    }, every).unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.sweeping;
  }

  private async sweep(): Promise<void> {
    let due: string[];
    try {
      due = await this.sagas.overdue(new Date(), BATCH);
    } catch (error) {
      this.logger.warn(`cannot read overdue sagas: ${(error as Error).message}`);
      return;
    }
    for (const orderId of due) {
      if (this.stopped) return;
      try {
        await this.commands.execute(new AdvanceSaga(orderId, { type: 'DeadlinePassed' }, null));
      } catch (error) {
        this.logger.warn(`deadline of order ${orderId} not applied, retried next sweep: ${(error as Error).message}`);
      }
    }
  }
}
