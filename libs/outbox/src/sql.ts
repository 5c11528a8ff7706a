/**
 * What the library needs of a Prisma transaction client (any service's generated client):
 * raw SQL, so the outbox and inbox tables need no model in the caller's schema types.
 */
export interface SqlExecutor {
  $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>;
}
