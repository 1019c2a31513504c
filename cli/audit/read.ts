import type { AuditRecord } from '../../controllers/core/record.js';
import { type AuditQuery, matches } from './filters.js';
import { type Problem, type ProblemKind, parseItem } from './parse.js';
import type { AuditSource } from './sources/index.js';
import { type Integrity, MAX_LISTED_PROBLEMS, type SummaryBuilder } from './summary.js';
import type { SignatureTally } from './verify.js';

export interface ReadProgress {
  read: number;
  selected: number;
  rejected: number;
  /** What the source is reading now: `s3://archive/audit/: object 3/40`. */
  position: string;
}

export interface ReadOptions {
  /** Keep the selected records (listing, sorting). Off for a summary, which needs none of them in memory. */
  collect?: boolean;
  /** Feed the selected records into a summary. */
  summary?: SummaryBuilder;
  /** `--verify`: check the signature of each selected record. */
  signatures?: SignatureTally;
  /** Called every `progressEvery` items and when the source moves on. */
  onProgress?: (progress: ReadProgress) => void;
  progressEvery?: number;
}

export interface ReadResult {
  records: AuditRecord[];
  selected: number;
  integrity: Integrity;
}

/**
 * Read a source: every item is parsed and checked against the record schema (rejected ones are
 * counted and listed, never dropped silently), then filtered. The query's time window is passed
 * to the source so it can read less.
 */
export async function readAudit(source: AuditSource, query: AuditQuery, options: ReadOptions = {}): Promise<ReadResult> {
  const records: AuditRecord[] = [];
  const problems: Problem[] = [];
  const byKind: Record<ProblemKind, number> = {
    'malformed-json': 0,
    'unknown-schema-version': 0,
    'invalid-record': 0,
    'not-an-audit-record': 0,
    'origin-mismatch': 0,
  };
  let unverified = 0;
  let read = 0;
  let rejected = 0;
  let selected = 0;
  let position = source.name;
  const every = options.progressEvery ?? 5000;
  const report = () => options.onProgress?.({ read, selected, rejected, position });
  for await (const item of source.items({ since: query.since, until: query.until }, (where) => {
    position = where;
    report();
  })) {
    read++;
    const parsed = parseItem(item);
    if (!parsed.ok) {
      rejected++;
      byKind[parsed.problem.kind]++;
      if (problems.length < MAX_LISTED_PROBLEMS) problems.push(parsed.problem);
    } else if (matches(parsed.record, query)) {
      selected++;
      if (parsed.origin === 'unverified') unverified++;
      if (options.collect) records.push(parsed.record);
      options.summary?.add(parsed.record);
      options.signatures?.add(parsed.raw, item.location);
    }
    if (read % every === 0) report();
  }
  report();
  return {
    records,
    selected,
    integrity: {
      read,
      valid: read - rejected,
      rejected,
      byKind,
      problems,
      problemsTruncated: rejected > problems.length,
      unverified,
    },
  };
}
