import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { SagaMode } from '@passo/contracts';
import { PrismaClient } from '@passo/prisma/order';

const KEY = 'saga-mode';

/** The default mode for new orders: persisted (shared by every replica), else env SAGA_MODE. */
@Injectable()
export class SagaModeService {
  constructor(
    private readonly db: PrismaClient,
    private readonly config: ConfigService,
  ) {}

  async current(): Promise<SagaMode> {
    const setting = await this.db.setting.findUnique({ where: { key: KEY } });
    return (setting?.value as SagaMode | undefined) ?? this.config.getOrThrow<SagaMode>('SAGA_MODE');
  }

  async set(mode: SagaMode): Promise<SagaMode> {
    await this.db.setting.upsert({ where: { key: KEY }, create: { key: KEY, value: mode }, update: { value: mode } });
    return mode;
  }
}
