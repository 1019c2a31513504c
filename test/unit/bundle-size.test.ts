/**
 * Bundle-size budgets: each guardrail's Lambda bundle, built as the infrastructure builds it
 * (infra/bundle.ts), must stay within its gzip budget in bench/budgets.json (measured + ~10%).
 * A heavier bundle means a slower cold start; an aggregated SDK client or a stray dependency
 * shows up here first.
 */
import { describe, expect, it } from 'vitest';
import { budgetProblems, readBudgets } from '../../bench/budgets.js';
import { bundleSizes, controllerTargets } from '../../bench/bundle-size.js';
import { registry } from '../../controllers/companions.js';
import { guardrails } from '../../controllers/registry.js';

const budgets = readBudgets();

describe('bundle-size budgets', () => {
  const sizes = bundleSizes();

  it('every registered guardrail has a bundle and a budget, and every budget is of a registered guardrail', () => {
    expect(controllerTargets().map((t) => t.guardrail)).toEqual(guardrails.map((g) => g.name));
    expect(budgetProblems(registry, budgets)).toEqual([]);
  });

  it.each(controllerTargets().map((t) => t.guardrail))('%s: gzip size within its budget', (name) => {
    const size = sizes[name];
    const budget = budgets.gzipBytes[name];
    expect(size, `no bundle for ${name}`).toBeDefined();
    expect(budget, `no budget for ${name} in bench/budgets.json`).toBeGreaterThan(0);
    expect(size?.gzipBytes, `${name}: ${size?.gzipBytes} gzip bytes, budget ${budget}`).toBeLessThanOrEqual(budget as number);
  });
});
