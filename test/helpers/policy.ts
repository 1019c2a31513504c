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

/** A policy exemption for one resource, approved by ticket, ending `days` after now (a timestamp). */
export function exemptionOf(guardrail: string, resource: string, days = 30): Record<string, unknown> {
  const expires = new Date(Date.now() + days * 86_400_000).toISOString();
  return { guardrail, resource, reason: 'migration window', ticket: 'CHG-42', expires };
}

/** A clock `days` after now, for running past an exemption's expiry. */
export const daysLater = (days: number) => () => new Date(Date.now() + days * 86_400_000);

/** The note a record carries when exemption tags asked for what only the policy grants. */
export const UNAPPROVED = /unapproved exemption request ignored: tag logwarden:exempt="[^"]*"/;
