import type { DynamicModule } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { MessageContract } from '@passo/contracts';
import { type Lab, OutboxModule, type RelayOptions } from '@passo/outbox';
import { LAB } from '../lab/lab.store';
import { MetricsRegistry } from '../metrics/metrics';
import { natsCredentials } from '../nats/nats-credentials';

/** The outbox of one app, wired from its validated config (database URL, NATS, topology prefix). */
export function appOutbox(urlEnv: string, contracts: readonly MessageContract[]): DynamicModule {
  return OutboxModule.forRootAsync({
    inject: [ConfigService, MetricsRegistry, LAB],
    useFactory: (config: ConfigService, registry: MetricsRegistry, lab: Lab | null) => ({
      databaseUrl: config.getOrThrow<string>(urlEnv),
      natsServers: config.getOrThrow<string>('NATS_URL'),
      natsCredentials: natsCredentials(config),
      contracts,
      topology: { prefix: config.get<string>('PASSO_TOPOLOGY_PREFIX') || undefined },
      registry,
      relay: {
        name: `${config.getOrThrow<string>('SERVICE_NAME')}-relay`,
        ...relayCleanup(config.getOrThrow<number>('OUTBOX_RETENTION_MS')),
      },
      lab: lab ?? undefined,
    }),
  });
}

/**
 * The relay's retention, and a cleanup often enough for it: four runs per retention (once a minute
 * at most), so a short retention bounds the tables near itself instead of waiting a whole minute.
 */
export function relayCleanup(retentionMs: number): Pick<RelayOptions, 'retentionMs' | 'cleanupIntervalMs'> {
  return { retentionMs, cleanupIntervalMs: Math.max(1_000, Math.round(Math.min(60_000, retentionMs / 4))) };
}
