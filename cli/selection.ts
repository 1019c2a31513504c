import { ConfigError } from '../controllers/core/errors.js';
import type { Policy } from '../controllers/core/policy.js';
import type { AnyGuardrail } from '../controllers/core/types.js';

/**
 * The guardrails and regions a command is asked for, checked against what exists and what the
 * policy governs: a typo or a guardrail the policy switches off is an error listing the valid values,
 * never an empty (clean-looking) result.
 */
export function checkedSelection(
  asked: { guardrail?: readonly string[]; region?: readonly string[] },
  known: readonly AnyGuardrail[],
  policy: Policy,
): { guardrails?: string[]; regions?: string[] } {
  const enabled = known.map((g) => g.name).filter((name) => policy.guardrails[name] !== undefined);
  const guardrails = asked.guardrail && checkedNames('--guardrail', asked.guardrail, enabled, known, 'guardrail');
  const regions = asked.region && checkedNames('--region', asked.region, policy.controller.regions, [], 'region');
  return { guardrails, regions };
}

function checkedNames(
  flag: string,
  values: readonly string[],
  valid: readonly string[],
  known: readonly AnyGuardrail[],
  what: string,
): string[] {
  const list = values.flatMap((value) => value.split(',')).filter((value) => value.length > 0);
  for (const value of list) {
    if (valid.includes(value)) continue;
    const off = known.some((g) => g.name === value) ? ` (${what} ${value} is switched off in the policy)` : '';
    throw new ConfigError(flag, `unknown or ungoverned ${what} ${JSON.stringify(value)}${off}; valid: ${valid.join(', ')}`);
  }
  return list;
}
