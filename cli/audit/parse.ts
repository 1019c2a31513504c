import {
  AUDIT_DETAIL_TYPE,
  AUDIT_SOURCE,
  type AuditRecord,
  auditRecordSchema,
  SCHEMA_VERSION,
} from '../../controllers/core/record.js';

/** Why a raw item was rejected. Every rejected item is counted and listed, never silently skipped. */
export type ProblemKind =
  | 'malformed-json'
  | 'unknown-schema-version'
  | 'invalid-record'
  | 'not-an-audit-record'
  | 'origin-mismatch';

export interface Problem {
  kind: ProblemKind;
  /** Where the item came from: `file.jsonl:12`, `s3://bucket/key.gz:3`, `logs://group/stream#eventId`, `kinesis://stream/shard#seq`. */
  location: string;
  message: string;
}

/** One item as a source delivers it: the text of one record or event, and where it was found. */
export interface RawItem {
  text: string;
  location: string;
}

/**
 * `raw`: the record as read (before the schema drops unknown fields), what a signature covers.
 * `origin`: `verified` when an EventBridge envelope (whose `account` AWS sets) agrees with the
 * record's account; `unverified` when there is no envelope (a bare record: an export, an old file).
 */
export type Parsed =
  | { ok: true; record: AuditRecord; raw: Record<string, unknown>; origin: 'verified' | 'unverified' }
  | { ok: false; problem: Problem };

const MAX_ISSUES = 3;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A record out of an EventBridge envelope (`detail` holds it) or a bare record, checked against
 * the audit record schema. Pure.
 */
export function parseValue(value: unknown, location: string): Parsed {
  let candidate = value;
  let envelopeAccount: string | null = null;
  if (isObject(value) && 'detail' in value && ('detail-type' in value || 'source' in value)) {
    if (value.source !== AUDIT_SOURCE || value['detail-type'] !== AUDIT_DETAIL_TYPE) {
      return {
        ok: false,
        problem: {
          kind: 'not-an-audit-record',
          location,
          message: `EventBridge event from ${JSON.stringify(value.source)} (${JSON.stringify(value['detail-type'])}), not a logwarden audit record`,
        },
      };
    }
    candidate = value.detail;
    envelopeAccount = typeof value.account === 'string' ? value.account : null;
  }
  if (!isObject(candidate)) {
    return {
      ok: false,
      problem: { kind: 'invalid-record', location, message: `expected a JSON object, got ${kindOf(candidate)}` },
    };
  }
  if (candidate.schemaVersion !== SCHEMA_VERSION) {
    return {
      ok: false,
      problem: {
        kind: 'unknown-schema-version',
        location,
        message:
          candidate.schemaVersion === undefined
            ? 'no schemaVersion field'
            : `schemaVersion ${JSON.stringify(candidate.schemaVersion)} (this logwarden reads ${SCHEMA_VERSION})`,
      },
    };
  }
  const parsed = auditRecordSchema.safeParse(candidate);
  if (!parsed.success) {
    const issues = parsed.error.issues;
    const shown = issues
      .slice(0, MAX_ISSUES)
      .map((issue) => `${issue.path.join('.') || '(record)'}: ${issue.message}`)
      .join('; ');
    const more = issues.length > MAX_ISSUES ? ` (+${issues.length - MAX_ISSUES} more)` : '';
    return { ok: false, problem: { kind: 'invalid-record', location, message: `${shown}${more}` } };
  }
  if (Number.isNaN(Date.parse(parsed.data.time))) {
    return {
      ok: false,
      problem: { kind: 'invalid-record', location, message: `time: not a date: ${JSON.stringify(parsed.data.time)}` },
    };
  }
  if (envelopeAccount !== null && envelopeAccount !== parsed.data.account) {
    const message = `the record says account ${JSON.stringify(parsed.data.account)} but its EventBridge envelope (set by AWS) says ${envelopeAccount}: forged or misrouted, not counted`;
    return { ok: false, problem: { kind: 'origin-mismatch', location, message } };
  }
  return { ok: true, record: parsed.data, raw: candidate, origin: envelopeAccount === null ? 'unverified' : 'verified' };
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

/** Parse the text of one item (a JSON line, a log event message, a stream record). Pure. */
export function parseItem(item: RawItem): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(item.text);
  } catch (error) {
    const preview = item.text.length > 80 ? `${item.text.slice(0, 80)}…` : item.text;
    return {
      ok: false,
      problem: {
        kind: 'malformed-json',
        location: item.location,
        message: `${(error as Error).message}: ${JSON.stringify(preview)}`,
      },
    };
  }
  return parseValue(value, item.location);
}

/**
 * Split text holding JSON documents into one string per document: newline-delimited (what the
 * demo, the CLI and the archive write) or concatenated with no separator (`}{`, what Firehose writes
 * when no delimiter is configured). Blank lines are not items. Pure.
 */
export function splitDocuments(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.length === 0) continue;
    if (!line.includes('}{')) {
      out.push(line);
      continue;
    }
    out.push(...splitConcatenated(line));
  }
  return out;
}

/** `{"a":1}{"b":"}{"}` → two documents; a string containing braces does not fool it. Malformed text stays whole. */
export function splitConcatenated(line: string): string[] {
  const docs: string[] = [];
  let depth = 0;
  let inString = false;
  let escaped = false;
  let start = 0;
  for (let i = 0; i < line.length; i++) {
    const char = line[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (char === '\\') escaped = true;
      else if (char === '"') inString = false;
      continue;
    }
    if (char === '"') inString = true;
    else if (char === '{' || char === '[') depth++;
    else if (char === '}' || char === ']') {
      depth--;
      if (depth === 0) {
        docs.push(line.slice(start, i + 1).trim());
        start = i + 1;
      } else if (depth < 0) {
        return [line];
      }
    }
  }
  const rest = line.slice(start).trim();
  if (rest.length > 0) docs.push(rest);
  return docs;
}
