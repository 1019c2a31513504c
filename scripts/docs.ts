/**
 * The guardrail index, docs/guardrails.md, rendered from the registry, and the check that every
 * registered guardrail has its runbook and its configuration page.
 *
 *   npx tsx scripts/docs.ts           rewrite docs/guardrails.md
 *   npx tsx scripts/docs.ts --check   exit 1 when docs/guardrails.md is not what the registry renders
 *
 * test/unit/docs.test.ts runs the same comparison and check.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Registry, registry } from '../controllers/companions.js';
import type { AnyGuardrail } from '../controllers/core/types.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Where the index is committed, relative to the repository root. */
export const INDEX_FILE = 'docs/guardrails.md';
export const REGENERATE = 'npx tsx scripts/docs.ts';

/** A guardrail's configuration page, relative to the repository root. */
export const configPage = (name: string) => `docs/config/${name}.md`;

/** A table cell: pipes escaped, no line breaks. */
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
const code = (text: string) => `\`${text}\``;

function row(g: AnyGuardrail): string {
  const events = g.cloudTrailEvents.map((e) => `${code(e.source)}: ${e.eventNames.map(code).join(', ')}`).join('; ');
  const config = configPage(g.name);
  return [
    code(g.name),
    cell(g.title),
    code(g.resourceType),
    events || '—',
    `[${g.runbook}](../${g.runbook})`,
    `[${config}](${config.replace(/^docs\//, '')})`,
  ].join(' | ');
}

/** docs/guardrails.md for the given guardrails, in registry order. Pure. */
export function renderGuardrailIndex(reg: Pick<Registry, 'guardrails'>): string {
  return [
    '# Guardrails',
    '',
    `<!-- Generated from controllers/registry.ts by \`${REGENERATE}\`; do not edit by hand. test/unit/docs.test.ts fails when it is stale. -->`,
    '',
    'Every registered guardrail, in the order of `controllers/registry.ts`. Each one also reacts to AWS Config',
    'compliance changes of its resource type and to the periodic sweep. The policy section of a guardrail is',
    '`guardrails.<guardrail>` (see [configuration.md](configuration.md)); adding a guardrail:',
    '[adding-a-guardrail.md](adding-a-guardrail.md).',
    '',
    '| guardrail | title | resource type | CloudTrail events it reacts to | runbook | configuration |',
    '|---|---|---|---|---|---|',
    ...reg.guardrails.map((g) => `| ${row(g)} |`),
    '',
  ].join('\n');
}

/**
 * One line per registered guardrail whose runbook (`runbook` of its definition) or configuration
 * page (`docs/config/<name>.md`) is in none of `roots` (repository-like directories). Empty when
 * every page exists.
 */
export function missingGuardrailDocs(reg: Pick<Registry, 'guardrails'>, roots: readonly string[] = [ROOT]): string[] {
  const found = (path: string) => roots.some((root) => existsSync(join(root, path)));
  return reg.guardrails.flatMap((g) => [
    ...(found(g.runbook) ? [] : [`guardrail ${g.name}: runbook ${g.runbook} is missing`]),
    ...(found(configPage(g.name)) ? [] : [`guardrail ${g.name}: configuration page ${configPage(g.name)} is missing`]),
  ]);
}

function main(): void {
  const rendered = renderGuardrailIndex(registry);
  const file = join(ROOT, INDEX_FILE);
  const problems = missingGuardrailDocs(registry);
  for (const problem of problems) process.stderr.write(`${problem}\n`);
  if (process.argv.includes('--check')) {
    const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
    if (current !== rendered) process.stderr.write(`${INDEX_FILE} is stale: run ${REGENERATE}\n`);
    process.exitCode = current !== rendered || problems.length > 0 ? 1 : 0;
    return;
  }
  writeFileSync(file, rendered);
  process.stderr.write(`wrote ${INDEX_FILE} (${registry.guardrails.length} guardrails)\n`);
  if (problems.length > 0) process.exitCode = 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
