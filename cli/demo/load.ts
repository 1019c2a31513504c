import { type Registry, registry } from '../../controllers/companions.js';
import type { DemoGuardrail } from '../../controllers/core/demo.js';
import { LogwardenError } from '../../controllers/core/errors.js';
import type { AnyGuardrail } from '../../controllers/core/types.js';
import { loadDemoPart } from './parts.js';

/** A registered guardrail has no usable demo (`<folder>/demo.ts` exporting `demo`). */
export class DemoMissingError extends LogwardenError {
  readonly guardrail: string;
  constructor(guardrail: string, problem: string) {
    super('DemoMissing', `guardrail ${guardrail}: ${problem}`);
    this.guardrail = guardrail;
  }
}

/** Why `demo` is not a usable demo of `guardrail`, or null. */
function demoProblem(demo: unknown, guardrail: AnyGuardrail): string | null {
  if (demo === undefined) return 'demo.ts does not export `demo`';
  if (!demo || typeof demo !== 'object') return '`demo` exported by demo.ts is not an object';
  const d = demo as Partial<DemoGuardrail>;
  if (d.guardrail !== guardrail) return '`demo.guardrail` is not the registered guardrail (import it from ./index.js)';
  for (const fn of ['policySection', 'prepare', 'duplicates'] as const) {
    if (typeof d[fn] !== 'function') return `\`demo.${fn}\` is not a function`;
  }
  if (!Array.isArray(d.scenarios) || !d.scenarios.some((s) => !s.expect || s.expect.includes('remediated'))) {
    // The fault suite and the bench play a remediating scenario of every guardrail.
    return '`demo.scenarios` has no scenario that ends remediated';
  }
  const unmeasured = d.scenarios.find((s) => typeof s.minimum?.calls !== 'number');
  return unmeasured ? `scenario "${unmeasured.title}" declares no \`minimum\` (the bench compares against it)` : null;
}

/**
 * Every registered guardrail's demo, in registry order: the one list the demo command, the
 * reliability suites and the bench play. A guardrail without a usable demo is an error naming it.
 */
export async function loadDemos(reg: Registry = registry): Promise<DemoGuardrail[]> {
  const demos: DemoGuardrail[] = [];
  for (const guardrail of reg.guardrails) {
    const part = await loadDemoPart(reg, guardrail.name);
    if (!part) throw new DemoMissingError(guardrail.name, `no demo.ts in ${reg.folder(guardrail.name)}`);
    const problem = demoProblem(part.demo, guardrail);
    if (problem) throw new DemoMissingError(guardrail.name, problem);
    demos.push(part.demo as DemoGuardrail);
  }
  return demos;
}
