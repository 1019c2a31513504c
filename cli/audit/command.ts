import type { Readable } from 'node:stream';
import { Command, Option } from 'commander';
import type { AwsClients } from '../../controllers/core/aws.js';
import { DEFAULT_SIGNING_KEY, DEFAULT_SOURCE, DEFAULT_TOP } from './defaults.js';

/**
 * The definition of `logwarden audit` and `logwarden audit report`: their flags and help. The actions
 * are in cli/audit/run.ts, imported when one runs, so `--help` loads no AWS SDK client.
 */

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

export interface CommonOptions {
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
  verify?: boolean;
  publicKey?: string;
  signingKey: string;
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
    .option('--no-progress', 'no progress line on standard error even on a terminal')
    .option('--verify', "check each selected record's signature: unsigned, invalid and altered records are findings")
    .option('--public-key <file>', "with --verify: the signing key's public key (PEM or DER), e.g. from --export-public-key")
    .option(
      '--signing-key <id>',
      'the KMS signing key (ARN or alias) whose public key --verify fetches when no --public-key is given',
      DEFAULT_SIGNING_KEY,
    );
}

/** The options of `audit`, as commander parses them. */
export interface ListOptions extends CommonOptions {
  sort: string;
  desc?: boolean;
  limit?: string;
  summary?: boolean;
  json?: boolean;
  exportPublicKey?: string;
}

/** The options of `audit report`, as commander parses them. */
export interface ReportOptions extends CommonOptions {
  html: string;
  runbookBase?: string;
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
    .option('--export-public-key <file>', 'write the public key of --signing-key (GetPublicKey) to a PEM file, read no records')
    .action(async (arg: string | undefined, options: ListOptions) => (await import('./run.js')).listAction(arg, options, io));

  commonOptions(audit.command('report').description('write one self-contained HTML page with a timeline and charts'))
    .requiredOption('--html <file>', 'where to write the page')
    .option('--runbook-base <url>', 'base URL for relative runbook paths in the page (e.g. the repository browse URL)')
    .action(async (arg: string | undefined, options: ReportOptions) => (await import('./run.js')).reportAction(arg, options, io));
}

/** `logwarden audit ...args` in this process, with its standard output captured (the demo and the bench). */
export async function auditInProcess(args: string[], o: { clients?: AwsClients; now?: () => Date } = {}): Promise<string> {
  let out = '';
  const program = new Command('logwarden').exitOverride();
  registerAuditCommand(program, {
    out: (s) => {
      out += s;
    },
    err: () => undefined,
    isTTY: false,
    now: o.now ?? (() => new Date()),
    clients: o.clients,
    setExitCode: () => undefined,
  });
  await program.parseAsync(['node', 'logwarden', 'audit', ...args]);
  return out;
}
