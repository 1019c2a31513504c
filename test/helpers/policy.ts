import { ACCOUNT, AUDIT_BUS, OWN_ROLE_ARN, REGION } from './emulator.js';

/** A policy document (before validation) with the given guardrail sections. */
export interface PolicyDocument {
  version: number;
  controller: Record<string, unknown>;
  audit: { eventBus: string };
  guardrails: Record<string, unknown>;
}

/** A valid policy document with the given guardrail sections. */
export function policyWith(guardrails: Record<string, unknown>, overrides: Record<string, unknown> = {}): PolicyDocument {
  return {
    version: 1,
    controller: {
      regions: [REGION],
      // Exactly the test's own role, in whichever account the controller governs.
      ownRoleArns: [OWN_ROLE_ARN.replace(ACCOUNT, '{account}')],
      excludeAccounts: [],
      sweepSchedule: 'rate(1 hour)',
      concurrency: 8,
      ...overrides,
    },
    audit: { eventBus: AUDIT_BUS },
    guardrails,
  };
}
