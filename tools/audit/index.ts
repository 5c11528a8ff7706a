// The auditor: docs/ARCHITECTURE.md, "Failure semantics" 1–4, from the databases.
export { audit, checkInvariants, DEFAULT_DEADLINE_MS, DEFAULT_GRACE_MS, DEFAULT_RETENTION_MS } from './audit';
export { DatabaseUnreachableError, openReadOnly, type ReadOnlyDatabases } from './read-only';
export { formatAudit, KIND_TITLES } from './report';
export * from './types';
