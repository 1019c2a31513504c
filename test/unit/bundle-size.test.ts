/**
 * Bundle-size budgets: each guardrail's Lambda bundle, built as the infrastructure builds it
 * (infra/bundle.ts), must stay within its gzip budget in bench/budgets.json (measured + ~10%).
 * A heavier bundle means a slower cold start; an aggregated SDK client or a stray dependency
 * shows up here first.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleSizes, controllerTargets, ROOT } from '../../bench/bundle-size.js';
import { guardrails } from '../../controllers/registry.js';

const budgets = JSON.parse(readFileSync(join(ROOT, 'bench', 'budgets.json'), 'utf8')) as { gzipBytes: Record<string, number> };

describe('bundle-size budgets', () => {
  const sizes = bundleSizes();

  it('every registered guardrail has a budget', () => {
    expect(controllerTargets().map((t) => t.guardrail)).toEqual(guardrails.map((g) => g.name));
    expect(Object.keys(budgets.gzipBytes).sort()).toEqual(guardrails.map((g) => g.name).sort());
  });

  it.each(controllerTargets().map((t) => t.guardrail))('%s: gzip size within its budget', (name) => {
    const size = sizes[name];
    const budget = budgets.gzipBytes[name];
    expect(size, `no bundle for ${name}`).toBeDefined();
    expect(budget, `no budget for ${name} in bench/budgets.json`).toBeGreaterThan(0);
    expect(size?.gzipBytes, `${name}: ${size?.gzipBytes} gzip bytes, budget ${budget}`).toBeLessThanOrEqual(budget as number);
  });
});
