import { type DynamicModule, type FactoryProvider, Module, type ModuleMetadata } from '@nestjs/common';
import { InboxService } from './inbox/inbox.service';
import { OUTBOX_OPTIONS, type OutboxOptions } from './outbox/outbox.options';
import { OutboxRelayService } from './outbox/outbox-relay.service';
import { OutboxService } from './outbox/outbox.service';

export interface OutboxModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  inject?: FactoryProvider['inject'];
  useFactory: (...args: never[]) => OutboxOptions | Promise<OutboxOptions>;
}

const providers = [OutboxService, OutboxRelayService, InboxService];

/** Transactional outbox + relay + inbox for one service database, as NestJS's own modules are set up. */
@Module({})
export class OutboxModule {
  static forRoot(options: OutboxOptions): DynamicModule {
    return {
      module: OutboxModule,
      global: true,
      providers: [{ provide: OUTBOX_OPTIONS, useValue: options }, ...providers],
      exports: [OutboxService, InboxService, OutboxRelayService],
    };
  }

  static forRootAsync(options: OutboxModuleAsyncOptions): DynamicModule {
    return {
      module: OutboxModule,
      global: true,
      imports: options.imports,
      providers: [
        { provide: OUTBOX_OPTIONS, inject: options.inject ?? [], useFactory: options.useFactory },
        ...providers,
      ],
      exports: [OutboxService, InboxService, OutboxRelayService],
    };
  }
}
