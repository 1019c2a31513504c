/**
 * The per-guardrail gzip budgets of the Lambda bundles (bench/budgets.json) and the check that
 * every registered guardrail has one. Used by test/unit/bundle-size.test.ts and `npm run bench`.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Registry } from '../controllers/companions.js';

export const BUDGETS_FILE = join(dirname(fileURLToPath(import.meta.url)), 'budgets.json');

export interface Budgets {
  /** Guardrail name → gzip budget in bytes of its controller bundle. */
  gzipBytes: Record<string, number>;
}

export function readBudgets(file = BUDGETS_FILE): Budgets {
  return JSON.parse(readFileSync(file, 'utf8')) as Budgets;
}

/**
 * One line per registered guardrail without a positive gzip budget, and per budget of a guardrail
 * that is not registered (a renamed or removed one). Empty when the budgets match the registry. Pure.
 */
export function budgetProblems(reg: Pick<Registry, 'guardrails'>, budgets: Budgets): string[] {
  const names = reg.guardrails.map((g) => g.name);
  const missing = names
    .filter((name) => !(Number.isInteger(budgets.gzipBytes[name]) && (budgets.gzipBytes[name] as number) > 0))
    .map((name) => `guardrail ${name} has no gzip budget in bench/budgets.json (gzipBytes.${name})`);
  const stale = Object.keys(budgets.gzipBytes)
    .filter((name) => !names.includes(name))
    .map((name) => `bench/budgets.json has a budget for ${name}, which is not a registered guardrail`);
  return [...missing, ...stale];
}
