import type { ConfigService } from '@nestjs/config';
import type { NatsCredentials } from '@passo/outbox';

/** The app's own NATS user, as PlatformModule resolved it (NATS_USER or the per-app names). */
export function natsCredentials(config: ConfigService): NatsCredentials {
  return { user: config.getOrThrow<string>('NATS_USER'), password: config.getOrThrow<string>('NATS_PASSWORD') };
}
