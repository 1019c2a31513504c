import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError } from '../../controllers/core/errors.js';
import type { AuditRecord } from '../../controllers/core/record.js';
import { HEARTBEAT_GUARDRAIL } from '../../controllers/core/record.js';
import { guardrails } from '../../controllers/registry.js';
import { jsonLines } from '../format.js';
import type { AuditIo, CommonOptions, ListOptions, ReportOptions } from './command.js';
import { DEFAULT_SOURCE } from './defaults.js';
import { AuditReportError } from './errors.js';
import { type AuditQuery, parseGuardrails, parseOutcomes, parseSortField, sortRecords, splitList } from './filters.js';
import { auditTable, integrityText, signaturesText, summaryText } from './format.js';
import { exportPublicKey, trustedKey } from './keys.js';
import { type ReadProgress, readAudit } from './read.js';
import { renderReport } from './report.js';
import { openSource, parseSourceSpec } from './sources/index.js';
import { type AuditSummary, hasFindings, SummaryBuilder } from './summary.js';
import { parseDuration, parseTime } from './time.js';
import { SignatureTally } from './verify.js';

/**
 * The actions of `logwarden audit` and `logwarden audit report`. cli/audit/command.ts imports this
 * module only when one of them runs: it loads the registry and the AWS sources.
 */

/** Every `guardrail` a record can name: the registered guardrails, the heartbeat, and `logwarden` (input no guardrail took). */
const RECORD_GUARDRAILS = [...guardrails.map((g) => g.name), HEARTBEAT_GUARDRAIL, 'logwarden'];

/** Exit codes of `logwarden audit` (the CLI's): 0 nothing to act on, 1 findings, 2 error. */
const AUDIT_EXIT = { ok: 0, findings: 1, error: 2 } as const;

function sourceText(arg: string | undefined, options: CommonOptions): string {
  const named = [
    arg,
    options.file,
    options.logGroup !== undefined ? `logs://${options.logGroup}` : undefined,
    options.archive,
    options.stream !== undefined ? `kinesis://${options.stream}` : undefined,
  ].filter((source): source is string => source !== undefined);
  if (named.length > 1) throw new ConfigError('source', `name one source, got ${named.length}: ${named.join(', ')}`);
  if (options.archive !== undefined && !options.archive.startsWith('s3://'))
    throw new ConfigError('--archive', 'expected s3://BUCKET/PREFIX');
  const chosen = named[0] ?? process.env.LOGWARDEN_AUDIT_SOURCE;
  if (chosen !== undefined) return chosen;
  if (!existsSync(DEFAULT_SOURCE)) {
    throw new ConfigError(
      'source',
      `none named and ${DEFAULT_SOURCE} not found: run "logwarden demo" first, or name a file, logs://, s3:// or kinesis:// source`,
    );
  }
  return DEFAULT_SOURCE;
}

function positiveInt(flag: string, text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1)
    throw new ConfigError(flag, `expected a positive whole number, got ${JSON.stringify(text)}`);
  return Number(text);
}

function queryFrom(options: CommonOptions, now: Date): AuditQuery {
  const query: AuditQuery = {
    guardrail: parseGuardrails(splitList(options.guardrail), RECORD_GUARDRAILS),
    account: splitList(options.account),
    region: splitList(options.region),
    resource: splitList(options.resource),
    outcome: parseOutcomes(splitList(options.outcome)),
    actor: splitList(options.actor),
    since: options.since !== undefined ? parseTime('--since', options.since, now) : undefined,
    until: options.until !== undefined ? parseTime('--until', options.until, now) : undefined,
  };
  if (query.since && query.until && query.since >= query.until) {
    throw new ConfigError('--since', `${options.since} is not before --until ${options.until}`);
  }
  return query;
}

/** A progress line on standard error, on a terminal only, at most every 200 ms. */
function progressLine(io: AuditIo, enabled: boolean): { update(progress: ReadProgress): void; done(): void } {
  if (!enabled || !io.isTTY) return { update() {}, done() {} };
  let last = 0;
  let shown = false;
  return {
    update(progress) {
      const now = Date.now();
      if (now - last < 200) return;
      last = now;
      shown = true;
      io.err(
        `\r\u001b[2K${progress.position} · ${progress.read} read, ${progress.selected} selected, ${progress.rejected} rejected`,
      );
    },
    done() {
      if (shown) io.err('\r\u001b[2K');
    },
  };
}

async function collectAndSummarize(
  arg: string | undefined,
  options: CommonOptions,
  io: AuditIo,
  keepRecords: boolean,
): Promise<{
  source: string;
  query: AuditQuery;
  summary: AuditSummary;
  records: AuditRecord[];
  staleMs: number;
}> {
  const now = io.now();
  const query = queryFrom(options, now);
  const staleMs = parseDuration('--heartbeat-after', options.heartbeatAfter);
  const top = positiveInt('--top', options.top);
  const name = sourceText(arg, options);
  const source = openSource(parseSourceSpec(name), { clients: io.clients, stdin: io.stdin });
  // The key first: without one, --verify fails before reading anything.
  const key = await trustedKey(options, io.clients);
  const signatures = key ? new SignatureTally(key) : undefined;
  const builder = new SummaryBuilder();
  const progress = progressLine(io, options.progress);
  let result: Awaited<ReturnType<typeof readAudit>>;
  try {
    result = await readAudit(source, query, {
      collect: keepRecords,
      summary: builder,
      signatures,
      onProgress: (readProgress) => progress.update(readProgress),
    });
  } finally {
    progress.done();
  }
  const summary = builder.result({
    now,
    until: query.until,
    heartbeatStaleMs: staleMs,
    top,
    integrity: result.integrity,
    signatures: signatures?.result(),
  });
  return { source: source.name, query, summary, records: result.records, staleMs };
}

/** How `audit` lists records: sorted by `field`, at most `limit`, a table or JSON lines. */
interface Listing {
  field: ReturnType<typeof parseSortField>;
  desc: boolean;
  limit: number | undefined;
  json: boolean;
}

/** Print the selected records (a table or JSON lines) with the integrity counts. */
function printRecords(io: AuditIo, listing: Listing, records: AuditRecord[], summary: AuditSummary): void {
  const { field, limit, json } = listing;
  const sorted = sortRecords(records, field, listing.desc);
  const shown = limit !== undefined ? sorted.slice(0, limit) : sorted;
  if (json) {
    if (shown.length > 0) io.out(`${jsonLines(shown)}\n`);
    // Standard output holds records only; rejected items are findings, so they are listed on standard error.
    if (summary.integrity.rejected > 0) io.err(`${integrityText(summary.integrity)}\n`);
    if (summary.signatures) io.err(`${signaturesText(summary.signatures)}\n`);
    return;
  }
  io.out(`${auditTable(shown)}\n\n`);
  io.out(
    `${shown.length} of ${summary.selected} selected record(s) shown (sorted by ${field}${listing.desc ? ', descending' : ''}); ${summary.integrity.read} item(s) read\n`,
  );
  if (summary.integrity.rejected > 0) io.out(`${integrityText(summary.integrity)}\n`);
  if (summary.signatures) io.out(`${signaturesText(summary.signatures)}\n`);
}

/** `logwarden audit [source]`: the records, or with `--summary` the summary; exit 1 on findings. */
export async function listAction(arg: string | undefined, options: ListOptions, io: AuditIo): Promise<void> {
  if (options.exportPublicKey !== undefined) {
    const { keyId, keySpec } = await exportPublicKey(options.exportPublicKey, options.signingKey, io.clients);
    io.out(`public key of ${keyId} (${keySpec}) written to ${options.exportPublicKey}\n`);
    io.setExitCode(AUDIT_EXIT.ok);
    return;
  }
  const listing: Listing = {
    field: parseSortField(options.sort),
    desc: options.desc === true,
    limit: options.limit !== undefined ? positiveInt('--limit', options.limit) : undefined,
    json: options.json === true,
  };
  const { summary, records, staleMs } = await collectAndSummarize(arg, options, io, options.summary !== true);
  if (options.summary) {
    io.out(options.json ? `${JSON.stringify(summary, null, 2)}\n` : `${summaryText(summary, { heartbeatStaleMs: staleMs })}\n`);
  } else {
    printRecords(io, listing, records, summary);
  }
  io.setExitCode(hasFindings(summary) ? AUDIT_EXIT.findings : AUDIT_EXIT.ok);
}

/** `logwarden audit report --html FILE [source]`: one self-contained HTML page; exit 1 on findings. */
export async function reportAction(arg: string | undefined, options: ReportOptions, io: AuditIo): Promise<void> {
  const { source, query, summary, staleMs } = await collectAndSummarize(arg, options, io, false);
  const html = renderReport({
    summary,
    source,
    query,
    heartbeatStaleMs: staleMs,
    generatedAt: io.now(),
    runbookBase: options.runbookBase,
  });
  try {
    mkdirSync(dirname(options.html), { recursive: true });
    writeFileSync(options.html, html);
  } catch (cause) {
    throw new AuditReportError(options.html, (cause as Error).message, { cause });
  }
  io.out(
    `report: ${options.html} (${summary.selected} record(s) of ${summary.integrity.read} read, ${summary.integrity.rejected} rejected, ${Buffer.byteLength(html)} bytes)\n`,
  );
  io.setExitCode(hasFindings(summary) ? AUDIT_EXIT.findings : AUDIT_EXIT.ok);
}
