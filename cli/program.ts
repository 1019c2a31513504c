import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { LogwardenError } from '../controllers/core/errors.js';
import type { AuditRecord } from '../controllers/core/record.js';
import { registerAuditCommand } from './audit/command.js';
import { cliRuntime } from './context.js';
import { runDemo } from './demo/index.js';
import { jsonLines, recordsTable } from './format.js';

/** Exit codes: 0 ok, 1 findings (drift or failed remediation), 2 error. */
export const EXIT = { ok: 0, findings: 1, error: 2 } as const;

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
  sink: { publish(r: readonly AuditRecord[]): Promise<void> },
  records: AuditRecord[],
) {
  if (!publish) return;
  // publishAndSettle also throws for retryable failures; the CLI reports those through its exit code instead.
  await sink.publish(records);
}

export function buildProgram(): Command {
  const program = new Command('logwarden')
    .description('Keeps AWS logging switched on: CloudTrail, VPC flow logs, S3 access logs, GuardDuty.')
    .showHelpAfterError()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  const config = new Option('-c, --config <file>', 'policy file (default: $LOGWARDEN_POLICY_FILE or ./logwarden.policy.json)');

  program
    .command('handle')
    .description('run EventBridge event(s) through the controllers; print one audit record per line')
    .argument('<event>', 'a JSON file with one event or an array of events, or - for standard input')
    .addOption(config)
    .option('--dry-run', 'detect only: report drift, change nothing')
    .option('--no-publish', 'do not send the records to the audit bus')
    .action(async (event: string, opts: { config?: string; dryRun?: boolean; publish: boolean }) => {
      const events = readEvents(event);
      const rt = await cliRuntime({ config: opts.config, dryRun: opts.dryRun });
      const records = await rt.controller.handleEvents(events);
      process.stdout.write(`${jsonLines(records)}\n`);
      await publishIfAsked(opts.publish, rt.sink, records);
      process.exitCode = records.some((r) => r.outcome === 'failed') ? EXIT.findings : EXIT.ok;
    });

  const sweepOptions = (cmd: Command) =>
    cmd
      .addOption(config)
      .option('-r, --region <region...>', 'regions to sweep (default: every region in the policy)')
      .option('-g, --guardrail <name...>', 'guardrails to sweep (default: all enabled)')
      .option('--json', 'one JSON audit record per line instead of a table');

  sweepOptions(program.command('scan').description('detect-only sweep of the account; exit 1 when drift is found'))
    .option('--publish', 'also send the records to the audit bus')
    .action(async (opts: { config?: string; region?: string[]; guardrail?: string[]; json?: boolean; publish?: boolean }) => {
      const rt = await cliRuntime({ config: opts.config, dryRun: true });
      const records = await rt.controller.sweep({
        trigger: { type: 'cli', eventId: null, eventName: 'scan', actor: process.env.USER ?? null },
        regions: opts.region,
        guardrails: opts.guardrail,
      });
      process.stdout.write(`${opts.json ? jsonLines(records) : recordsTable(records)}\n`);
      await publishIfAsked(opts.publish === true, rt.sink, records);
      const bad = records.some((r) => r.outcome === 'drift-detected' || r.outcome === 'failed');
      process.exitCode = bad ? EXIT.findings : EXIT.ok;
    });

  sweepOptions(program.command('remediate').description('sweep the account and fix every drift (or only report with --dry-run)'))
    .option('--dry-run', 'detect only: report drift, change nothing')
    .option('--no-publish', 'do not send the records to the audit bus')
    .action(
      async (opts: {
        config?: string;
        region?: string[];
        guardrail?: string[];
        json?: boolean;
        publish: boolean;
        dryRun?: boolean;
      }) => {
        const rt = await cliRuntime({ config: opts.config, dryRun: opts.dryRun });
        const records = await rt.controller.sweep({
          trigger: {
            type: 'cli',
            eventId: null,
            eventName: opts.dryRun ? 'remediate --dry-run' : 'remediate',
            actor: process.env.USER ?? null,
          },
          regions: opts.region,
          guardrails: opts.guardrail,
        });
        process.stdout.write(`${opts.json ? jsonLines(records) : recordsTable(records)}\n`);
        await publishIfAsked(opts.publish, rt.sink, records);
        const bad = records.some((r) => r.outcome === 'failed' || (opts.dryRun && r.outcome === 'drift-detected'));
        process.exitCode = bad ? EXIT.findings : EXIT.ok;
      },
    );

  program
    .command('demo')
    .description('start the local AWS emulator, tamper with logging for real, and watch logwarden put it back')
    .option('--json', 'print the audit records as JSON lines instead of the narrative')
    .option('--out <file>', 'where to save the audit records (JSON lines)', '.demo/audit.jsonl')
    .action(async (opts: { json?: boolean; out: string }) => {
      const ok = await runDemo({ json: opts.json === true, out: opts.out, write: (s) => process.stdout.write(s) });
      process.exitCode = ok ? EXIT.ok : EXIT.findings;
    });

  registerAuditCommand(program);
  return program;
}
