import { loadCompanion, type Registry } from '../../controllers/companions.js';

/**
 * A guardrail's `demo.ts` module, found by the folder convention (`<folder>/demo.ts`), or null when the
 * folder has none. The built CLI has no guardrail folders: scripts/build.ts replaces this module in
 * the bundle with one that imports every registered guardrail's `demo.ts`.
 */
export function loadDemoPart(reg: Registry, guardrail: string): Promise<Record<string, unknown> | null> {
  return loadCompanion(reg, guardrail, 'demo');
}
