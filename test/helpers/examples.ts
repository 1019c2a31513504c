import type { Registry } from '../../controllers/companions.js';

/**
 * One line per registered guardrail that has no section in an example policy document (so the
 * example shows, and the tests validate, every guardrail's configuration). Pure.
 */
export function guardrailsWithoutSection(reg: Pick<Registry, 'guardrails'>, policyDocument: unknown, file: string): string[] {
  const doc = policyDocument as { guardrails?: Record<string, unknown> } | null;
  const sections = doc?.guardrails && typeof doc.guardrails === 'object' ? doc.guardrails : {};
  return reg.guardrails
    .filter((g) => !(g.name in sections))
    .map((g) => `guardrail ${g.name} has no section in ${file} (guardrails.${g.name})`);
}
