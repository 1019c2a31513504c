import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { LogwardenError } from '../controllers/core/errors.js';
import type { AuditRecord } from '../controllers/core/record.js';
import { registerAuditCommand } from './audit/command.js';
import { cliRuntime } from './context.js';
import { runDemo } from './demo/index.js';
import { jsonLines, recordsTable } from './format.js';
import { checkedSelection } from './selection.js';

/** Exit codes: 0 ok, 1 findings (drift or failed remediation), 2 error (usage errors included). */
export const EXIT = { ok: 0, findings: 1, error: 2 } as const;

/** The version in package.json. */
function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

function readEvents(source: string): unknown[] {
  let text: string;
  try {
    text = readFileSync(source === '-' ? 0 : source, 'utf8');
  } catch (cause) {
    throw new LogwardenError(
      'InputUnreadable',
      `cannot read ${source === '-' ? 'standard input' : source}: ${(cause as Error).message}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new LogwardenError(
      'InputNotJson',
      `${source === '-' ? 'standard input' : source} is not JSON: ${(cause as Error).message}`,
    );
  }
  return Array.isArray(parsed) ? parsed : [parsed];
}

async function publishIfAsked(
  publish: boolean,
  sink: { publish(records: readonly AuditRecord[]): Promise<void> },
  records: AuditRecord[],
) {
  if (!publish) return;
  // publishAndSettle also throws for retryable failures; the CLI reports those through its exit code instead.
  await sink.publish(records);
}

/** The options of `scan` and `remediate`, as commander parses them. */
interface SweepOptions {
  config?: string;
  region?: string[];
  guardrail?: string[];
  json?: boolean;
  /** `scan --publish` (off by default), `remediate --no-publish` (on by default). */
  publish?: boolean;
  /** `remediate --dry-run`; `scan` is always detect-only. */
  dryRun?: boolean;
  /** Every row in the table, not only those that need attention. */
  all?: boolean;
}

/**
 * The action of `scan` and `remediate`: one sweep of the account, printed as a table or JSON lines.
 * `scan` only detects; `remediate` fixes unless `--dry-run`. Findings (exit 1): a failed remediation,
 * or drift that was detected and left alone.
 */
function sweepAction(command: 'scan' | 'remediate') {
  return async (options: SweepOptions) => {
    const detectOnly = command === 'scan' || options.dryRun === true;
    const runtime = await cliRuntime({ config: options.config, dryRun: detectOnly });
    const selection = checkedSelection(options, runtime.controller.guardrails, runtime.policy);
    const records = await runtime.controller.sweep({
      trigger: {
        type: 'cli',
        eventId: null,
        eventName: options.dryRun ? `${command} --dry-run` : command,
        actor: process.env.USER ?? null,
      },
      ...selection,
    });
    process.stdout.write(`${options.json ? jsonLines(records) : recordsTable(records, { all: options.all === true })}\n`);
    await publishIfAsked(options.publish === true, runtime.sink, records);
    const findings = records.some((record) => record.outcome === 'failed' || (detectOnly && record.outcome === 'drift-detected'));
    process.exitCode = findings ? EXIT.findings : EXIT.ok;
  };
}

export function buildProgram(): Command {
  const program = new Command('logwarden')
    .description('Keeps AWS logging switched on: CloudTrail, VPC flow logs, S3 access logs, GuardDuty.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .showHelpAfterError()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) })
    // Usage errors (unknown option or command, missing argument) throw a CommanderError instead of
    // exiting 1, so main.ts can exit 2 as documented; subcommands inherit this setting.
    .exitOverride();

  const configOption = new Option(
    '-c, --config <file>',
    'policy file (default: $LOGWARDEN_POLICY_FILE or ./logwarden.policy.json)',
  );

  program
    .command('handle')
    .description('run EventBridge event(s) through the controllers; print one audit record per line')
    .argument('<event>', 'a JSON file with one event or an array of events, or - for standard input')
    .addOption(configOption)
    .option('--dry-run', 'detect only: report drift, change nothing')
    .option('--no-publish', 'do not send the records to the audit bus')
    .action(async (event: string, options: { config?: string; dryRun?: boolean; publish: boolean }) => {
      const events = readEvents(event);
      if (events.length === 0)
        throw new LogwardenError('NoEvents', `${event === '-' ? 'standard input' : event} holds no event (an empty list)`);
      const runtime = await cliRuntime({ config: options.config, dryRun: options.dryRun });
      const records = await runtime.controller.handleEvents(events);
      process.stdout.write(`${jsonLines(records)}\n`);
      await publishIfAsked(options.publish, runtime.sink, records);
      process.exitCode = records.some((record) => record.outcome === 'failed') ? EXIT.findings : EXIT.ok;
    });

  /** `scan` and `remediate` sweep the same selection: the same flags, then their own. */
  const sweepCommand = (name: 'scan' | 'remediate', description: string) =>
    program
      .command(name)
      .description(description)
      .addOption(configOption)
      .option('-r, --region <region...>', 'regions to sweep (default: every region in the policy)')
      .option('-g, --guardrail <name...>', 'guardrails to sweep (default: all enabled)')
      .option('--json', 'one JSON audit record per line instead of a table')
      .option(
        '--all',
        'a table row for every resource (default: a summary per guardrail and region, and the rows that need attention)',
      );

  sweepCommand('scan', 'detect-only sweep of the account; exit 1 when drift is found')
    .option('--publish', 'also send the records to the audit bus')
    .action(sweepAction('scan'));

  sweepCommand('remediate', 'sweep the account and fix every drift (or only report with --dry-run)')
    .option('--dry-run', 'detect only: report drift, change nothing')
    .option('--no-publish', 'do not send the records to the audit bus')
    .action(sweepAction('remediate'));

  program
    .command('demo')
    .description('start the local AWS emulator, tamper with logging for real, and watch logwarden put it back')
    .option('--json', 'print the audit records as JSON lines instead of the narrative')
    .option('--out <file>', 'where to save the audit records (JSON lines)', '.demo/audit.jsonl')
    .action(async (options: { json?: boolean; out: string }) => {
      const asExpected = await runDemo({
        json: options.json === true,
        out: options.out,
        write: (text) => process.stdout.write(text),
      });
      process.exitCode = asExpected ? EXIT.ok : EXIT.findings;
    });

  registerAuditCommand(program);
  return program;
}
