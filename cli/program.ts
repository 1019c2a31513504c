import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { HandleOptions, SweepOptions } from './actions.js';
import { registerAuditCommand } from './audit/command.js';
import { EXIT } from './exit.js';
import type { InitOptions } from './init/action.js';

/**
 * The commands and their options. This module stays light: every action imports what it needs
 * (`import()`) when it runs, so `--help`, `--version` and usage errors load no AWS SDK client, no
 * controller, no demo and no emulator (test/integration/cli-startup.test.ts checks it).
 */

/** The version in package.json (one directory up, from cli/ as from the built dist/). */
function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

const configOption = () =>
  new Option('-c, --config <file>', 'policy file (default: $LOGWARDEN_POLICY_FILE or ./logwarden.policy.json)');

function addHandleCommand(program: Command): void {
  program
    .command('handle')
    .description('run EventBridge event(s) through the controllers; print one audit record per line')
    .argument('<event>', 'a JSON file with one event or an array of events, or - for standard input')
    .addOption(configOption())
    .option('--dry-run', 'detect only: report drift, change nothing')
    .option('--no-publish', 'do not send the records to the audit bus')
    .action(async (event: string, options: HandleOptions) => (await import('./actions.js')).handleAction(event, options));
}

/** `scan` and `remediate` sweep the same selection: the same flags, then their own. */
function sweepCommand(program: Command, name: 'scan' | 'remediate', description: string): Command {
  return program
    .command(name)
    .description(description)
    .addOption(configOption())
    .option('-r, --region <region...>', 'regions to sweep (default: every region in the policy)')
    .option('-g, --guardrail <name...>', 'guardrails to sweep (default: all enabled)')
    .option('--json', 'one JSON audit record per line instead of a table')
    .option(
      '--all',
      'a table row for every resource (default: a summary per guardrail and region, and the rows that need attention)',
    )
    .action(async (options: SweepOptions) => (await import('./actions.js')).sweepAction(name, options));
}

function addSweepCommands(program: Command): void {
  sweepCommand(program, 'scan', 'detect-only sweep of the account; exit 1 when drift is found').option(
    '--publish',
    'also send the records to the audit bus',
  );
  sweepCommand(program, 'remediate', 'sweep the account and fix every drift (or only report with --dry-run)')
    .option('--dry-run', 'detect only: report drift, change nothing')
    .option('--no-publish', 'do not send the records to the audit bus');
}

function addDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('start the local AWS emulator, tamper with logging for real, and watch logwarden put it back')
    .option('--json', 'print the audit records as JSON lines instead of the narrative')
    .option('--out <file>', 'where to save the audit records (JSON lines)', '.demo/audit.jsonl')
    .action(async (options: { json?: boolean; out: string }) => {
      const { runDemo } = await import('./demo/index.js');
      const asExpected = await runDemo({
        json: options.json === true,
        out: options.out,
        write: (text) => process.stdout.write(text),
      });
      process.exitCode = asExpected ? EXIT.ok : EXIT.findings;
    });
}

/** `--port`: a whole number from 1 to 65535 (a usage error, exit 2, otherwise). */
function portNumber(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1 || port > 65535) throw new InvalidArgumentError('must be a port number from 1 to 65535.');
  return port;
}

function addEmulatorCommand(program: Command): void {
  program
    .command('emulator')
    .description('start the local AWS emulator (moto) for trying logwarden; print its environment lines; Ctrl-C stops it')
    .option('-p, --port <n>', 'loopback port to listen on (default: a free one)', portNumber)
    .action(async (options: { port?: number }) => (await import('./emulator-command.js')).emulatorAction(options));
}

function addInitCommand(program: Command): void {
  program
    .command('init')
    .description('read the account and write a starter policy (every guardrail in notify mode), validated')
    .option('--out <file>', 'where to write the policy', 'logwarden.policy.json')
    .option('--force', 'overwrite --out when it exists')
    .option('-r, --region <region...>', 'regions to read (default: every region enabled in the account)')
    .addOption(new Option('--from-example', 'write the documented example policy instead (reads nothing)').conflicts('region'))
    .action(async (options: InitOptions) => (await import('./init/action.js')).initAction(options));
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
  addHandleCommand(program);
  addSweepCommands(program);
  addDemoCommand(program);
  registerAuditCommand(program);
  addEmulatorCommand(program);
  addInitCommand(program);
  return program;
}
