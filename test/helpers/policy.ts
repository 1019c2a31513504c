import type { Policy } from '../../controllers/core/policy.js';
import { ACCOUNT, AUDIT_BUS, OWN_ROLE_ARN, REGION } from './emulator.js';

/** A valid policy document with the given guardrail sections. */
export function policyWith(guardrails: Record<string, unknown>, overrides: Partial<Policy['controller']> = {}): Policy {
  return {
    version: 1,
    controller: {
      regions: [REGION],
      ownRoleArns: [OWN_ROLE_ARN.replace(ACCOUNT, '*')],
      excludeAccounts: [],
      sweepSchedule: 'rate(1 hour)',
      concurrency: 8,
      ...overrides,
    },
    audit: { eventBus: AUDIT_BUS },
    guardrails,
  };
}
