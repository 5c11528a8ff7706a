/**
 * What the library needs of a Prisma transaction client (any service's generated client):
 * raw SQL, so the outbox and inbox tables need no model in the caller's schema types.
 */
export interface SqlExecutor {
  $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>;
}

/** A Prisma client (or transaction client) that can run a raw query returning rows. */
export interface RawQueryExecutor {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
}
