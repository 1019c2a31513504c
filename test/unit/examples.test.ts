import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPolicyFile } from '../../controllers/core/policy.js';
import { guardrails } from '../../controllers/registry.js';

describe('example policies', () => {
  const files = readdirSync('examples').filter((f) => f.endsWith('.policy.json'));
  it('there is at least one', () => {
    expect(files.length).toBeGreaterThan(0);
  });
  it.each(files)('%s is valid against every registered guardrail', (file) => {
    const policy = loadPolicyFile(join('examples', file), guardrails);
    expect(policy.version).toBe(1);
  });
});
