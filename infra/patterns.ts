import type { aws_events as events } from 'aws-cdk-lib';
import { LogwardenError } from '../controllers/core/errors.js';
import { CLOUDTRAIL_DETAIL_TYPE, CONFIG_DETAIL_TYPE } from '../controllers/core/intake.js';
import { AUDIT_DETAIL_TYPE, AUDIT_SOURCE, HEARTBEAT_GUARDRAIL } from '../controllers/core/record.js';
import type { AnyGuardrail } from '../controllers/core/types.js';
import { canaryLogGroupArn, heartbeatRoleArn } from '../controllers/heartbeat/canary.js';
import { HEARTBEAT_EVENT_NAME } from '../controllers/monitor/decide.js';

/** An EventBridge event pattern (JSON). Values may be CDK tokens until synthesis. */
export type EventPattern = Record<string, unknown>;

/** A pattern uses a key the CDK rendering below does not carry over. */
export class EventPatternError extends LogwardenError {
  readonly keys: readonly string[];
  constructor(keys: readonly string[]) {
    super('UnsupportedEventPattern', `unsupported event pattern keys ${keys.join(', ')}`);
    this.keys = keys;
  }
}

/**
 * The CDK form of a pattern built here (CDK spells `detail-type` as `detailType`). Every rule of
 * both stacks goes through it, so the emulator tests of these builders cover the deployed rules.
 * Keys it does not know are refused rather than silently dropped. Pure.
 */
export function toCdkPattern(p: EventPattern): events.EventPattern {
  const { source, 'detail-type': detailType, detail, ...rest } = p;
  if (Object.keys(rest).length > 0) throw new EventPatternError(Object.keys(rest));
  return {
    ...(source === undefined ? {} : { source: source as string[] }),
    ...(detailType === undefined ? {} : { detailType: detailType as string[] }),
    ...(detail === undefined ? {} : { detail: detail as Record<string, unknown> }),
  };
}

/** Every logwarden audit record on the central bus. Pure. */
export function auditRecordPattern(): EventPattern {
  return { source: [AUDIT_SOURCE], 'detail-type': [AUDIT_DETAIL_TYPE] };
}

/**
 * The member deployments' beats on the central bus, for the heartbeat monitor. Only `Heartbeat`
 * triggers: the monitor's own `heartbeat` records (`HeartbeatCheck`) must not trigger it again. Pure.
 */
export function heartbeatPattern(): EventPattern {
  return {
    ...auditRecordPattern(),
    detail: { guardrail: [HEARTBEAT_GUARDRAIL], trigger: { eventName: [HEARTBEAT_EVENT_NAME] } },
  };
}

/**
 * The CloudTrail rule patterns of a guardrail: one per event source. Failed calls are not delivered
 * (`errorCode` absent), nor calls made by one of logwarden's own roles, named exactly: the session
 * issuer is none of `ownRoleArns`, or there is no session issuer at all (IAM users, root, services).
 * A role on the same path, with a longer name or in another account is delivered. The controller's
 * own-role filter stays as the backstop. Pure; the ARNs may hold CDK tokens.
 */
export function cloudTrailPatterns(g: AnyGuardrail, ownRoleArns: readonly string[]): EventPattern[] {
  return g.cloudTrailEvents.map((e) => ({
    source: [e.source],
    'detail-type': [CLOUDTRAIL_DETAIL_TYPE],
    detail: {
      eventName: [...e.eventNames],
      errorCode: [{ exists: false }],
      $or: [
        { userIdentity: { sessionContext: { sessionIssuer: { arn: [{ 'anything-but': [...ownRoleArns] }] } } } },
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

/**
 * The heartbeat's event path canary (#13 item 5): exactly the CloudTrail event of its own tag write
 * on the canary log group, successful, made by the heartbeat's role named exactly (path included).
 * The same write by anyone else (an account admin faking the canary) is not delivered. Pure; the
 * place may hold CDK tokens or manifest placeholders.
 */
export function canaryPattern(place: { partition: string; region: string; account: string }): EventPattern {
  return {
    source: ['aws.logs'],
    'detail-type': [CLOUDTRAIL_DETAIL_TYPE],
    detail: {
      eventSource: ['logs.amazonaws.com'],
      eventName: ['TagResource'],
      errorCode: [{ exists: false }],
      requestParameters: { resourceArn: [canaryLogGroupArn(place)] },
      userIdentity: { sessionContext: { sessionIssuer: { arn: [heartbeatRoleArn(place)] } } },
    },
  };
}
