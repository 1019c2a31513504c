import { sessionIssuerArn } from './intake.js';
import { ownRoleArnsIn, type Policy } from './policy.js';
import type { AnyGuardrail, CloudTrailDetail } from './types.js';

/** What the filters look at: which guardrail, which account and region, and the API call if any. */
export interface FilterInput {
  guardrail: AnyGuardrail;
  policy: Policy;
  /** The account this controller (or Config-rule evaluator) governs. */
  governedAccount: string;
  /** The account and region the event or evaluation is about. */
  account: string;
  region: string;
  /** The CloudTrail record, for an API-call event. */
  call?: CloudTrailDetail;
}

/** A small pure predicate: the reason to leave the input alone, or null to go on. */
export interface Filter {
  name: string;
  reason(input: FilterInput): string | null;
}

const guardrailDisabled: Filter = {
  name: 'guardrail disabled',
  reason: ({ guardrail, policy }) =>
    policy.guardrails[guardrail.name] ? null : `guardrail ${guardrail.name} is not enabled in the policy`,
};

const otherAccount: Filter = {
  name: 'other account',
  reason: ({ account, governedAccount }) =>
    account === governedAccount ? null : `event for account ${account}; this controller governs ${governedAccount}`,
};

const excludedAccount: Filter = {
  name: 'excluded account',
  reason: ({ account, policy }) =>
    policy.controller.excludeAccounts.includes(account) ? `account ${account} is excluded by the policy` : null,
};

const ungovernedRegion: Filter = {
  name: 'ungoverned region',
  reason: ({ region, policy }) =>
    policy.controller.regions.includes(region) ? null : `region ${region} is not governed by the policy`,
};

const failedCall: Filter = {
  name: 'failed call',
  reason: ({ call }) =>
    call?.errorCode ? `the ${call.eventName} call failed (${call.errorCode.slice(0, 200)}); nothing changed` : null,
};

const ownRole: Filter = {
  name: 'own role',
  // Exact ARNs in the governed account only: a look-alike (same path, longer name, other account) is acted on.
  reason: ({ call, policy, governedAccount }) => {
    const issuer = sessionIssuerArn(call?.userIdentity);
    return issuer && ownRoleArnsIn(policy.controller, governedAccount).includes(issuer)
      ? `made by logwarden's own role ${issuer}`
      : null;
  },
};

/**
 * The filters every input passes before anything is read or written, in order. The event path and
 * the Config-rule evaluator share them, so both leave exactly the same inputs alone.
 */
const FILTERS: readonly Filter[] = [guardrailDisabled, otherAccount, excludedAccount, ungovernedRegion, failedCall, ownRole];

/** The first filter's reason to leave the input alone, or null. Pure. */
export function filteredOut(input: FilterInput, filters: readonly Filter[] = FILTERS): string | null {
  for (const filter of filters) {
    const reason = filter.reason(input);
    if (reason) return reason;
  }
  return null;
}
