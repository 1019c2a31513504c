import { CLOUDTRAIL_DETAIL_TYPE, CONFIG_DETAIL_TYPE } from '../controllers/core/intake.js';
import type { AnyGuardrail } from '../controllers/core/types.js';

/** An EventBridge event pattern (JSON). Values may be CDK tokens until synthesis. */
export type EventPattern = Record<string, unknown>;

/**
 * The CloudTrail rule patterns of a guardrail: one per event source. Failed calls are not delivered
 * (`errorCode` absent), nor calls made by logwarden's own roles: the session issuer is not on the
 * `/logwarden/` path of this account, or there is no session issuer at all (IAM users, root,
 * services). The controller's own-role filter stays as the backstop. Pure.
 *
 * `ownRolePrefix` is `arn:<partition>:iam::<account>:role/logwarden/` (a token in the stacks).
 */
export function cloudTrailPatterns(g: AnyGuardrail, ownRolePrefix: string): EventPattern[] {
  return g.cloudTrailEvents.map((e) => ({
    source: [e.source],
    'detail-type': [CLOUDTRAIL_DETAIL_TYPE],
    detail: {
      eventName: [...e.eventNames],
      errorCode: [{ exists: false }],
      $or: [
        { userIdentity: { sessionContext: { sessionIssuer: { arn: [{ 'anything-but': { prefix: ownRolePrefix } }] } } } },
        { userIdentity: { sessionContext: { sessionIssuer: { arn: [{ exists: false }] } } } },
      ],
    },
  }));
}

/** Compliance changes of the guardrail's own Config rule, towards NON_COMPLIANT. Pure. */
export function configCompliancePattern(ruleName: string): EventPattern {
  return {
    source: ['aws.config'],
    'detail-type': [CONFIG_DETAIL_TYPE],
    detail: {
      messageType: ['ComplianceChangeNotification'],
      configRuleName: [ruleName],
      newEvaluationResult: { complianceType: ['NON_COMPLIANT'] },
    },
  };
}

/** State changes of logwarden's alarms (DLQ alarms), forwarded to the central bus. Pure. */
export function alarmStatePattern(): EventPattern {
  return {
    source: ['aws.cloudwatch'],
    'detail-type': ['CloudWatch Alarm State Change'],
    detail: { alarmName: [{ prefix: 'logwarden-' }] },
  };
}
