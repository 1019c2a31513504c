import { existsSync, writeFileSync } from 'node:fs';
import { AwsClients } from '../../controllers/core/aws.js';
import { ConfigError } from '../../controllers/core/errors.js';
import { parsePolicy } from '../../controllers/core/policy.js';
import { guardrails } from '../../controllers/registry.js';
// Imported, not read from disk: esbuild inlines it, and the built CLI has no examples/ folder.
import example from '../../examples/logwarden.policy.json' with { type: 'json' };
import { EXIT } from '../exit.js';
import { discoverAccount } from './discover.js';
import { buildStarterPolicy } from './starter.js';

/** The options of `init`, as commander parses them. */
export interface InitOptions {
  out: string;
  force?: boolean;
  region?: string[];
  fromExample?: boolean;
}

/** The region STS and the global reads go to: the SDK's standard configuration, else us-east-1. */
function homeRegion(): string {
  return process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
}

/** Checked before reading the account (fail fast), and again by the exclusive write below (no race). */
function refuseToOverwrite(options: InitOptions): void {
  if (!options.force && existsSync(options.out)) {
    throw new ConfigError('--out', `${options.out} already exists; pass --force to overwrite it`);
  }
}

function writePolicy(options: InitOptions, document: unknown): void {
  try {
    writeFileSync(options.out, `${JSON.stringify(document, null, 2)}\n`, { flag: options.force ? 'w' : 'wx' });
  } catch (cause) {
    throw new ConfigError('--out', `cannot write ${options.out}: ${(cause as Error).message}`);
  }
}

async function starterFromAccount(options: InitOptions): Promise<{ document: unknown; summary: string[] }> {
  const facts = await discoverAccount(new AwsClients(), { homeRegion: homeRegion(), regions: options.region });
  const starter = buildStarterPolicy(facts, guardrails);
  const enabled = Object.keys(starter.document.guardrails).length;
  return {
    document: starter.document,
    summary: [
      `account ${facts.account}: read ${facts.regions.length} region(s), ${facts.buckets.length} of ${facts.bucketNames.length} bucket(s) sampled`,
      ...facts.warnings.map((w) => `warning: ${w}`),
      ...starter.choices,
      ...starter.leftOut.map((note) => `left out: ${note}`),
      `${enabled} guardrail(s), all in notify mode: detect and report, change nothing`,
    ],
  };
}

/**
 * `init`: write a starter policy read from the account (every guardrail in notify mode), or the
 * documented example with `--from-example`. Validated before it is written; never overwrites a file
 * without `--force`. The summary of choices goes to stderr (docs/config/init.md explains each).
 */
export async function initAction(options: InitOptions): Promise<void> {
  refuseToOverwrite(options);
  const { document, summary } = options.fromExample
    ? {
        document: example,
        summary: ['the documented example (examples/logwarden.policy.json): replace its accounts and buckets'],
      }
    : await starterFromAccount(options);
  parsePolicy(document, guardrails, options.fromExample ? 'example policy' : 'starter policy');
  writePolicy(options, document);
  const lines = [...summary, `wrote ${options.out}; check it with: logwarden scan --config ${options.out}`];
  process.stderr.write(lines.map((line) => `logwarden init: ${line}\n`).join(''));
  process.exitCode = EXIT.ok;
}
