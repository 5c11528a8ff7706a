import type { MessageContract } from '@passo/contracts';
import { type JetStreamManager, RetentionPolicy, StorageType, nanos } from 'nats';
import type { Topology } from './topology';

/**
 * Creates (or updates) the streams the contracts live in, idempotently: file storage, limits
 * retention, and a duplicate window that lets the broker drop a relay's re-publish.
 */
export async function ensureStreams(
  jsm: JetStreamManager,
  topology: Topology,
  contracts: readonly Pick<MessageContract, 'context'>[],
  { deadLetters = false }: { deadLetters?: boolean } = {},
): Promise<void> {
  const streams = new Map<string, { name: string; subjects: string[] }>();
  for (const { context } of contracts) streams.set(context, topology.stream(context));
  if (deadLetters) streams.set('dlq', topology.deadLetters());
  for (const { name, subjects } of streams.values()) {
    const config = {
      name,
      subjects,
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      duplicate_window: nanos(topology.duplicateWindowMs),
    };
    try {
      const info = await jsm.streams.info(name);
      const current = info.config;
      if (current.duplicate_window !== config.duplicate_window || current.subjects.join() !== subjects.join()) {
        await jsm.streams.update(name, { ...current, subjects, duplicate_window: config.duplicate_window });
      }
    } catch (error) {
      if (!isNotFound(error)) throw error;
      try {
        await jsm.streams.add(config);
      } catch (raced) {
        // Another replica created it between our info and add: same config, nothing to do.
        if (!/already in use|exists/i.test((raced as Error).message)) throw raced;
      }
    }
  }
}

function isNotFound(error: unknown): boolean {
  const { code, message } = error as { code?: string; message?: string };
  return code === '404' || /stream not found/i.test(message ?? '');
}
