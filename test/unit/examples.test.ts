import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { registry } from '../../controllers/companions.js';
import { loadPolicyFile } from '../../controllers/core/policy.js';
import { guardrails } from '../../controllers/registry.js';
import { guardrailsWithoutSection } from '../helpers/examples.js';

describe('example policies', () => {
  const files = readdirSync('examples').filter((f) => f.endsWith('.policy.json'));
  it('there is at least one', () => {
    expect(files.length).toBeGreaterThan(0);
  });
  it.each(files)('%s is valid against every registered guardrail', (file) => {
    const policy = loadPolicyFile(join('examples', file), guardrails);
    expect(policy.version).toBe(1);
  });
  it('examples/logwarden.policy.json has a section for every registered guardrail', () => {
    const file = join('examples', 'logwarden.policy.json');
    expect(guardrailsWithoutSection(registry, JSON.parse(readFileSync(file, 'utf8')), file)).toEqual([]);
  });
});
