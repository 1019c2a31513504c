/**
 * The guardrail documentation derives from the registry: docs/guardrails.md is exactly what
 * scripts/docs.ts renders, and every registered guardrail has its runbook and configuration page.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { registry } from '../../controllers/companions.js';
import { INDEX_FILE, missingGuardrailDocs, REGENERATE, ROOT, renderGuardrailIndex } from '../../scripts/docs.js';

describe('guardrail docs', () => {
  it(`${INDEX_FILE} is what the registry renders`, () => {
    const committed = readFileSync(join(ROOT, INDEX_FILE), 'utf8');
    expect(committed, `${INDEX_FILE} is stale: run ${REGENERATE}`).toBe(renderGuardrailIndex(registry));
  });

  it('every registered guardrail has its runbook and configuration page', () => {
    expect(missingGuardrailDocs(registry)).toEqual([]);
  });

  it('README and the configuration reference link the index', () => {
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain('(docs/guardrails.md)');
    expect(readFileSync(join(ROOT, 'docs', 'configuration.md'), 'utf8')).toContain('(guardrails.md)');
  });
});
