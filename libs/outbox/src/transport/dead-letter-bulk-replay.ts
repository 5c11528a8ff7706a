/** Replaying many dead letters at once, chosen by consumer, subject or error (`npm run dlq -- replay --all`). */
import type { JetStreamClient, JetStreamManager } from 'nats';
import type { Topology } from '../jetstream/topology';
import {
  contractSubjectOf,
  replayLetter,
  replayRefusal,
  scanDeadLetters,
  type DeadLetter,
  type ReplayOptions,
  type ReplayResult,
} from './dead-letter-admin';

/** Which dead letters a bulk replay takes; the filters combine (all must match), none = all. */
export interface DeadLetterFilter {
  /** The consumer group that dead-lettered it, exactly. */
  consumer?: string;
  /** The original subject, with or without the topology prefix, exactly. */
  subject?: string;
  /** Part of the error text, case-insensitive. */
  error?: string;
}

export interface BulkReplayOptions extends ReplayOptions {
  /** Count what would be replayed, replay nothing. */
  dryRun?: boolean;
}

export interface BulkReplayReport {
  /** Replayed (or, in a dry run, replayable) dead letters per consumer and original subject. */
  counts: { consumer: string; subject: string; count: number }[];
  replayed: (ReplayResult & { deadLetterSeq: number })[];
  /** Matched the filter but not replayed, with why. */
  skipped: { seq: number; consumer: string; subject: string; reason: string }[];
  dryRun: boolean;
}

export function matchesFilter(letter: DeadLetter, topology: Topology, filter: DeadLetterFilter): boolean {
  if (filter.consumer !== undefined && letter.consumer !== filter.consumer) return false;
  if (
    filter.subject !== undefined &&
    letter.originalSubject !== filter.subject &&
    contractSubjectOf(letter, topology) !== filter.subject
  ) {
    return false;
  }
  if (filter.error !== undefined && !letter.error.toLowerCase().includes(filter.error.toLowerCase())) return false;
  return true;
}

/**
 * Replays every dead letter the filter matches, oldest first, one at a time (each is deleted once
 * its replay is stored); refused ones (no known contract's subject) stay, listed with the reason.
 */
export async function replayDeadLetters(
  js: JetStreamClient,
  jsm: JetStreamManager,
  topology: Topology,
  filter: DeadLetterFilter,
  options: BulkReplayOptions = {},
): Promise<BulkReplayReport> {
  const counts = new Map<string, { consumer: string; subject: string; count: number }>();
  const report: BulkReplayReport = { counts: [], replayed: [], skipped: [], dryRun: options.dryRun ?? false };
  for await (const letter of scanDeadLetters(jsm, topology)) {
    if (!matchesFilter(letter, topology, filter)) continue;
    const subject = contractSubjectOf(letter, topology) ?? letter.originalSubject;
    const refusal = replayRefusal(letter, topology, options);
    if (refusal !== null) {
      report.skipped.push({ seq: letter.seq, consumer: letter.consumer, subject, reason: refusal });
      continue;
    }
    if (!report.dryRun) {
      report.replayed.push({ ...(await replayLetter(js, jsm, topology, letter, options)), deadLetterSeq: letter.seq });
    }
    const key = JSON.stringify([letter.consumer, subject]);
    const entry = counts.get(key) ?? { consumer: letter.consumer, subject, count: 0 };
    entry.count++;
    counts.set(key, entry);
  }
  report.counts = [...counts.values()];
  return report;
}
