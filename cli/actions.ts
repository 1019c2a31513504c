import { readFileSync } from 'node:fs';
import { LogwardenError } from '../controllers/core/errors.js';
import type { AuditRecord } from '../controllers/core/record.js';
import { accountInAdvance } from './account.js';
import { EXIT } from './exit.js';
import { jsonLines, recordsTable } from './format.js';
import { checkedSelection } from './selection.js';

/**
 * The actions of `handle`, `scan` and `remediate`. cli/program.ts imports this module only when one of
 * them runs, so `--help`, `--version` and usage errors load no AWS SDK client and no controller.
 */

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

/**
 * The runtime, with the controllers loaded while STS is asked for the account (the first AWS call
 * need not wait for every guardrail's SDK clients to load).
 */
async function loadRuntime(options: { config?: string; dryRun?: boolean }) {
  const advance = accountInAdvance();
  const { cliRuntime } = await import('./context.js');
  return cliRuntime({ ...options, clients: advance?.clients, account: advance?.account });
}

/** The options of `handle`, as commander parses them. */
export interface HandleOptions {
  config?: string;
  dryRun?: boolean;
  publish: boolean;
}

/** `handle <event>`: run the event(s) through the controllers, one audit record per line; exit 1 if one failed. */
export async function handleAction(event: string, options: HandleOptions): Promise<void> {
  const events = readEvents(event);
  if (events.length === 0)
    throw new LogwardenError('NoEvents', `${event === '-' ? 'standard input' : event} holds no event (an empty list)`);
  const runtime = await loadRuntime({ config: options.config, dryRun: options.dryRun });
  const records = await runtime.controller.handleEvents(events);
  process.stdout.write(`${jsonLines(records)}\n`);
  await publishIfAsked(options.publish, runtime.sink, records);
  process.exitCode = records.some((record) => record.outcome === 'failed') ? EXIT.findings : EXIT.ok;
}

/** The options of `scan` and `remediate`, as commander parses them. */
export interface SweepOptions {
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
export async function sweepAction(command: 'scan' | 'remediate', options: SweepOptions): Promise<void> {
  const detectOnly = command === 'scan' || options.dryRun === true;
  const runtime = await loadRuntime({ config: options.config, dryRun: detectOnly });
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
}
