import type { PrismaClientLike } from './prisma.module';

/**
 * The one "is the database there" check: /health reports it, and the JetStream transport probes
 * it to resume consumers paused by an outage.
 */
export function pingDatabase(prisma: PrismaClientLike): Promise<unknown> {
  return prisma.$queryRawUnsafe('SELECT 1');
}
