import { join } from 'node:path';
import { controllersFolder, type Registry } from '../../controllers/companions.js';
import { guardrails } from '../../controllers/registry.js';
import { exampleLogs } from '../fixtures/guardrails/example-logs/index.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
export const EXAMPLE_LOGS_FOLDER = join(FIXTURES, 'guardrails', 'example-logs');
/** A repository-like directory holding the fixture guardrail's runbook and configuration page. */
export const FIXTURE_DOCS_ROOT = join(FIXTURES, 'docs-root');

/**
 * The real registry plus the fixture guardrail `example-logs` (test/fixtures/guardrails/example-logs):
 * what `controllers/registry.ts` would be after adding one guardrail with one line.
 */
export const fixtureRegistry: Registry = {
  guardrails: [...guardrails, exampleLogs],
  folder: (name) => (name === exampleLogs.name ? EXAMPLE_LOGS_FOLDER : controllersFolder(name)),
};
