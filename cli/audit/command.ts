import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { type Command, Option } from 'commander';
import type { AwsClients } from '../../controllers/core/aws.js';
import { ConfigError } from '../../controllers/core/errors.js';
import type { AuditRecord } from '../../controllers/core/record.js';
import { HEARTBEAT_GUARDRAIL } from '../../controllers/core/record.js';
import { guardrails } from '../../controllers/registry.js';
import { jsonLines } from '../format.js';
import { AuditReportError } from './errors.js';
import { type AuditQuery, parseGuardrails, parseOutcomes, parseSortField, sortRecords, splitList } from './filters.js';
import { auditTable, integrityText, summaryText } from './format.js';
import { type ReadProgress, readAudit } from './read.js';
import { renderReport } from './report.js';
import { DEFAULT_SOURCE, openSource, parseSourceSpec } from './sources/index.js';
import { type AuditSummary, DEFAULT_TOP, hasFindings, SummaryBuilder } from './summary.js';
import { parseDuration, parseTime } from './time.js';

/** Every `guardrail` a record can name: the registered guardrails, the heartbeat, and `logwarden` (input no guardrail took). */
const RECORD_GUARDRAILS = [...guardrails.map((g) => g.name), HEARTBEAT_GUARDRAIL, 'logwarden'];

/** Exit codes of `logwarden audit` (the CLI's): 0 nothing to act on, 1 findings, 2 error. */
const AUDIT_EXIT = { ok: 0, findings: 1, error: 2 } as const;

/** Where the command writes and what it may be given; tests replace it. */
export interface AuditIo {
  out(text: string): void;
  err(text: string): void;
  /** Progress is shown only on a terminal. */
  isTTY: boolean;
  now(): Date;
  stdin?: Readable;
  /** AWS clients for AWS sources; default: the SDK's standard configuration. */
  clients?: AwsClients;
  setExitCode(code: number): void;
}

const defaultIo = (): AuditIo => ({
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  isTTY: process.stderr.isTTY === true,
  now: () => new Date(),
  setExitCode: (code) => {
    process.exitCode = code;
  },
});

interface CommonOptions {
  file?: string;
  logGroup?: string;
  archive?: string;
  stream?: string;
  guardrail?: string[];
  account?: string[];
  region?: string[];
  resource?: string[];
  outcome?: string[];
  actor?: string[];
  since?: string;
  until?: string;
  heartbeatAfter: string;
  top: string;
  progress: boolean;
}

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

function commonOptions(cmd: Command): Command {
  return cmd
    .argument(
      '[source]',
      `PATH (JSON lines, plain or gzip), -, logs://GROUP, s3://BUCKET/PREFIX or kinesis://STREAM (default $LOGWARDEN_AUDIT_SOURCE, else ${DEFAULT_SOURCE})`,
    )
    .option('--file <path>', 'read a local JSON-lines file (plain or gzip); - for standard input')
    .option('--log-group <name>', 'read the central CloudWatch Logs group')
    .option('--archive <s3-url>', 'read the S3 archive: s3://BUCKET/PREFIX')
    .option('--stream <name>', 'read the central Kinesis stream')
    .option('-g, --guardrail <name>', 'only this guardrail (repeat or comma-separate)', collect)
    .option('-a, --account <id>', 'only this account (repeat or comma-separate)', collect)
    .option('-r, --region <region>', 'only this region (repeat or comma-separate)', collect)
    .option('--resource <pattern>', 'resource id, ARN or type; * is a wildcard (repeat or comma-separate)', collect)
    .option('-o, --outcome <outcome>', 'only this outcome (repeat or comma-separate)', collect)
    .option('--actor <pattern>', 'who triggered it (IAM ARN, aws.events, ...); * is a wildcard (repeat)', collect)
    .option('--since <time>', 'from this time on: 30m, 12h, 7d, 2w ago, 2026-11-01 or an ISO date-time (inclusive)')
    .option('--until <time>', 'before this time, same forms as --since (exclusive)')
    .option('--heartbeat-after <duration>', 'a deployment without a heartbeat for this long counts as stopped', '1h')
    .option('--top <n>', 'how many most-remediated resources the summary lists', String(DEFAULT_TOP))
    .option('--no-progress', 'no progress line on standard error even on a terminal');
}

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
  const builder = new SummaryBuilder();
  const progress = progressLine(io, options.progress);
  let result: Awaited<ReturnType<typeof readAudit>>;
  try {
    result = await readAudit(source, query, {
      collect: keepRecords,
      summary: builder,
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
  });
  return { source: source.name, query, summary, records: result.records, staleMs };
}

/**
 * `logwarden audit [source]`: list or summarise audit records; `logwarden audit report --html FILE`:
 * the same as one self-contained HTML page. Registered by cli/program.ts.
 */
export function registerAuditCommand(program: Command, io: AuditIo = defaultIo()): void {
  // `audit` and `audit report` take the same filter flags: each command must read the flags written
  // after it, which commander does only with positional options down from the root (the root has no
  // options of its own besides --help, so nothing else changes).
  program.enablePositionalOptions();
  const audit = commonOptions(
    program
      .command('audit')
      .description('review audit records: what logwarden changed, where, when, why, for whom, and what still fails')
      .enablePositionalOptions(),
  )
    .addOption(
      new Option('--sort <field>', 'sort by time, guardrail, account, region, resource, outcome, actor or duration').default(
        'time',
      ),
    )
    .option('--desc', 'sort in descending order (newest first with --sort time)')
    .option('-n, --limit <n>', 'show at most this many records (after sorting)')
    .option('--summary', 'counts by guardrail × outcome, most-remediated resources, failures, heartbeats, time to remediate')
    .option('--json', 'machine output: records as JSON lines, or the summary as one JSON document')
    .action(
      async (
        arg: string | undefined,
        options: CommonOptions & { sort: string; desc?: boolean; limit?: string; summary?: boolean; json?: boolean },
      ) => {
        const field = parseSortField(options.sort);
        const limit = options.limit !== undefined ? positiveInt('--limit', options.limit) : undefined;
        const { summary, records, staleMs } = await collectAndSummarize(arg, options, io, options.summary !== true);
        if (options.summary) {
          io.out(
            options.json ? `${JSON.stringify(summary, null, 2)}\n` : `${summaryText(summary, { heartbeatStaleMs: staleMs })}\n`,
          );
        } else {
          const sorted = sortRecords(records, field, options.desc === true);
          const shown = limit !== undefined ? sorted.slice(0, limit) : sorted;
          if (options.json) {
            if (shown.length > 0) io.out(`${jsonLines(shown)}\n`);
            // Standard output holds records only; rejected items are findings, so they are listed on standard error.
            if (summary.integrity.rejected > 0) io.err(`${integrityText(summary.integrity)}\n`);
          } else {
            io.out(`${auditTable(shown)}\n\n`);
            io.out(
              `${shown.length} of ${summary.selected} selected record(s) shown (sorted by ${field}${options.desc ? ', descending' : ''}); ${summary.integrity.read} item(s) read\n`,
            );
            if (summary.integrity.rejected > 0) io.out(`${integrityText(summary.integrity)}\n`);
          }
        }
        io.setExitCode(hasFindings(summary) ? AUDIT_EXIT.findings : AUDIT_EXIT.ok);
      },
    );

  commonOptions(audit.command('report').description('write one self-contained HTML page with a timeline and charts'))
    .requiredOption('--html <file>', 'where to write the page')
    .option('--runbook-base <url>', 'base URL for relative runbook paths in the page (e.g. the repository browse URL)')
    .action(async (arg: string | undefined, options: CommonOptions & { html: string; runbookBase?: string }) => {
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
    });
}
