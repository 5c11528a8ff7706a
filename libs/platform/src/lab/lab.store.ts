import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { DEFAULT_LAB_SETTINGS, type LabSettings, LabSettingsPatchSchema, patchLabSettings } from '@passo/contracts';
import { Lab } from '@passo/outbox';
import { PRISMA_CLIENT, type PrismaClientLike } from '../prisma/prisma.module';

/** The app's Lab, or null with the lab off (PASSO_LAB unset or `off`): then nothing of it exists. */
export const LAB = Symbol('LAB');

const RETRY_MS = 2_000;

/**
 * Keeps the lab's settings in the app's own database (`lab_settings`, one row), so they survive a
 * restart: a crash fault must not silently turn the lab off. Each start counts itself there, and
 * the count moves the fault draws on (see Lab.apply).
 */
@Injectable()
export class LabStore implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Lab');
  private retry?: NodeJS.Timeout;

  constructor(
    @Inject(LAB) private readonly lab: Lab,
    @Inject(PRISMA_CLIENT) private readonly db: PrismaClientLike,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.load();
  }

  onApplicationShutdown(): void {
    clearTimeout(this.retry);
  }

  /** Stores `settings` (the draws start again from their seed) and applies them. */
  async save(settings: LabSettings): Promise<LabSettings> {
    await this.db.$queryRawUnsafe(
      `INSERT INTO lab_settings (id, settings, starts, updated_at) VALUES ('lab', $1::jsonb, 0, now())
       ON CONFLICT (id) DO UPDATE SET settings = EXCLUDED.settings, starts = 0, updated_at = now() RETURNING id`,
      JSON.stringify(settings),
    );
    clearTimeout(this.retry); // what was just stored is the truth, not an older row still to load
    this.lab.apply(settings);
    this.logger.log(`dual-write lab: ${describe(settings)}`);
    return settings;
  }

  private async load(): Promise<void> {
    try {
      const [row] = await this.db.$queryRawUnsafe<Array<{ settings: unknown; starts: number }>>(
        `UPDATE lab_settings SET starts = starts + 1 WHERE id = 'lab' RETURNING settings, starts`,
      );
      const stored = row ? LabSettingsPatchSchema.safeParse(row.settings) : undefined;
      if (stored && !stored.success) this.logger.error(`stored lab settings are not valid, using the defaults`);
      const settings = stored?.success ? patchLabSettings(DEFAULT_LAB_SETTINGS, stored.data) : DEFAULT_LAB_SETTINGS;
      this.lab.apply(settings, row?.starts ?? 0);
      this.logger.warn(`dual-write lab ON (PASSO_LAB=on): ${describe(settings)}`);
    } catch (error) {
      // Until the database answers the lab stays at its defaults (the outbox, no fault): the safe side.
      this.logger.error(`could not load the lab settings (${(error as Error).message}); retrying in ${RETRY_MS} ms`);
      this.retry = setTimeout(() => void this.load(), RETRY_MS);
      this.retry.unref();
    }
  }
}

function describe({ delivery, inbox, faults, seed }: LabSettings): string {
  const armed = Object.entries(faults).filter(([, p]) => p > 0);
  const list = armed.length ? armed.map(([fault, p]) => `${fault} ${p}`).join(', ') : 'none';
  return `delivery ${delivery}, inbox ${inbox}, faults ${list}, seed ${seed}`;
}
