import { errorCode, errorMessage } from '../core/errors.js';
import type { Guardrail, ScopedPermission } from '../core/types.js';
import { applyGuardDutyStep, listDestinationRefs, listDetectorIds, observeGuardDuty, resolveDetectorRef } from './aws.js';
import {
  type DesiredGuardDuty,
  desiredGuardDuty,
  diffGuardDuty,
  type GuardDutyState,
  type GuardDutyStep,
  planGuardDuty,
  publishingDestinationProblem,
  reportOnlyReason,
} from './diff.js';
import {
  detectorRef,
  GUARDDUTY_EVENT_SAMPLE,
  GUARDDUTY_EVENTS,
  type GuardDutyRef,
  isGovernedRegion,
  membershipRef,
  NO_DETECTOR,
  notGoverned,
  RESOURCE_TYPE,
  refsFromEvent,
} from './events.js';
import { type GuardDutyPolicy, guardDutyPolicySchema } from './policy.js';

/** What the guardrail reads: listings, and a detector whose id is known only at run time. */
const GUARDDUTY_READS = [
  'guardduty:ListDetectors',
  'guardduty:GetDetector',
  'guardduty:GetAdministratorAccount',
  'guardduty:GetFilter',
  'guardduty:GetIPSet',
  'guardduty:DescribePublishingDestination',
  'guardduty:ListPublishingDestinations',
];

/**
 * GuardDuty guardrail: every governed region has exactly one enabled detector with the policy's
 * protection plans and publishing frequency; finding suppression (trusted IP lists, auto-archive
 * filters), deleted publishing destinations, destinations not PUBLISHING (findings not delivered) and a
 * broken administrator relationship are reported
 * (IP lists and filters may be undone when the policy says so).
 *
 * @example
 * // policy.json: "guardrails": { "guardduty": { "mode": "remediate", "findingPublishingFrequency": "FIFTEEN_MINUTES",
 * //   "features": { "S3_DATA_EVENTS": "ENABLED", "EKS_AUDIT_LOGS": "ENABLED" } } }
 */
export const guardduty: Guardrail<GuardDutyPolicy, GuardDutyRef, GuardDutyState, DesiredGuardDuty, GuardDutyStep> = {
  name: 'guardduty',
  title: 'GuardDuty stays enabled with its protection plans',
  resourceType: RESOURCE_TYPE,
  runbook: 'runbooks/guardduty.md',
  policySchema: guardDutyPolicySchema,
  // The detector deleted or suspended. Features, frequency, filters, IP sets and the rest are settings.
  loggingOffDrift: ['exists', 'status'],
  iamActions: [
    ...GUARDDUTY_READS,
    'guardduty:CreateDetector',
    'guardduty:UpdateDetector',
    'guardduty:DeleteFilter',
    'guardduty:UpdateIPSet',
  ],
  unscopedActions: [
    {
      actions: GUARDDUTY_READS,
      why: 'reads: listing has no resource-level permissions, and the detector id is only known at run time',
    },
    {
      actions: ['guardduty:CreateDetector'],
      why: 'CreateDetector has no resource-level permissions (the detector does not exist yet)',
    },
  ],
  scopedPermissions: (policy) => {
    const out: ScopedPermission[] = [
      // The account's one detector per region, its filters and IP sets; detector ids are generated.
      { actions: ['guardduty:UpdateDetector'], resources: ['arn:{partition}:guardduty:*:*:detector/*'] },
      { actions: ['guardduty:DeleteFilter'], resources: ['arn:{partition}:guardduty:*:*:detector/*/filter/*'] },
      { actions: ['guardduty:UpdateIPSet'], resources: ['arn:{partition}:guardduty:*:*:detector/*/ipset/*'] },
      // CreateDetector with tags needs guardduty:TagResource on the new detector.
      { actions: ['guardduty:TagResource'], resources: ['arn:{partition}:guardduty:*:*:detector/*'] },
      // The first CreateDetector in an account creates GuardDuty's service-linked roles.
      {
        actions: ['iam:CreateServiceLinkedRole'],
        resources: [
          'arn:{partition}:iam::*:role/aws-service-role/guardduty.amazonaws.com/AWSServiceRoleForAmazonGuardDuty',
          'arn:{partition}:iam::*:role/aws-service-role/malware-protection.guardduty.amazonaws.com/AWSServiceRoleForAmazonGuardDutyMalwareProtection',
        ],
      },
    ];
    if (policy.trustedIpSets === 'remediate') {
      // UpdateIPSet edits the GuardDuty service-linked role's inline policy.
      out.push({
        actions: ['iam:PutRolePolicy', 'iam:DeleteRolePolicy'],
        resources: ['arn:{partition}:iam::*:role/aws-service-role/guardduty.amazonaws.com/AWSServiceRoleForAmazonGuardDuty'],
      });
    }
    return out;
  },
  cloudTrailEvents: [{ source: 'aws.guardduty', eventNames: GUARDDUTY_EVENTS, sample: GUARDDUTY_EVENT_SAMPLE }],
  refsFromCloudTrail: async (detail, scope) => {
    const resolution = refsFromEvent(detail, scope.policy, scope);
    if ('ignore' in resolution) return resolution;
    const refs: GuardDutyRef[] = [];
    for (const ref of resolution.refs) refs.push(ref.kind === 'detector' ? await resolveDetectorRef(ref, scope) : ref);
    return { refs };
  },
  refFromResourceId: (id, scope) => {
    if (!isGovernedRegion(scope.policy, scope.region)) return { ignore: notGoverned(scope.region) };
    if (!/^[A-Za-z0-9]{1,300}$/.test(id)) return { ignore: `"${id.slice(0, 100)}" is not a GuardDuty detector id` };
    return { refs: [detectorRef(scope, id)] };
  },
  listRefs: async (scope) => {
    if (!isGovernedRegion(scope.policy, scope.region)) return { refs: [] };
    const id = (await listDetectorIds(scope, scope.region))[0];
    const refs: GuardDutyRef[] = [detectorRef(scope, id ?? NO_DETECTOR)];
    if (id && scope.policy.administratorAccountId) refs.push(membershipRef(scope, id));
    if (!id) return { refs };
    // Findings delivery: every publishing destination is checked, not only those an event names.
    try {
      return { refs: [...refs, ...(await listDestinationRefs(scope, id))] };
    } catch (error) {
      return { refs, incomplete: `publishing destinations not listed: ${errorCode(error)}: ${errorMessage(error)}` };
    }
  },
  desired: (_ref, policy) => desiredGuardDuty(policy),
  observe: observeGuardDuty,
  tagsOf: (state) => (state.kind === 'detector' ? (state.exists ? state.tags : {}) : state.tags),
  reportOnly: (ref, state, drift, policy) => reportOnlyReason(ref, state, drift, desiredGuardDuty(policy)),
  unrestorable: publishingDestinationProblem,
  diff: diffGuardDuty,
  plan: planGuardDuty,
  apply: applyGuardDutyStep,
};
