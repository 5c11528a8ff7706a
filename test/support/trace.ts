import { randomBytes } from 'node:crypto';

/** A fresh W3C traceparent (version 00, sampled): a trace of its own, for one test's message. */
export function newTraceparent(): string {
  return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
}
