import { describe, expect, it } from 'vitest';
import { apiCallEvent, configComplianceEvent, sweepEvent } from '../../cli/events.js';
import { actorOf, classify, MAX_EVENT_BYTES, sessionIssuerArn } from '../../controllers/core/intake.js';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';

describe('classify', () => {
  it('reads a CloudTrail API-call event', () => {
    const event = apiCallEvent({
      account: ACCOUNT,
      region: REGION,
      eventSource: 'cloudtrail.amazonaws.com',
      eventName: 'StopLogging',
      requestParameters: { name: 'main' },
    });
    const intake = classify(event);
    expect(intake).toMatchObject({
      kind: 'cloudtrail',
      account: ACCOUNT,
      region: REGION,
      detail: { eventName: 'StopLogging', errorCode: null, requestParameters: { name: 'main' } },
      trigger: { type: 'cloudtrail', eventName: 'StopLogging', actor: `arn:aws:iam::${ACCOUNT}:user/mallory` },
    });
  });

  it('keeps errorCode of failed calls and accepts null requestParameters', () => {
    const event = apiCallEvent({
      account: ACCOUNT,
      region: REGION,
      eventSource: 'cloudtrail.amazonaws.com',
      eventName: 'StopLogging',
      requestParameters: null,
      errorCode: 'AccessDenied',
    });
    const intake = classify(event);
    expect(intake.kind).toBe('cloudtrail');
    if (intake.kind === 'cloudtrail') {
      expect(intake.detail.errorCode).toBe('AccessDenied');
      expect(intake.detail.requestParameters).toBeNull();
    }
  });

  it('reads a Config compliance change', () => {
    const intake = classify(
      configComplianceEvent({
        account: ACCOUNT,
        region: REGION,
        resourceType: 'AWS::EC2::VPC',
        resourceId: 'vpc-1',
        configRuleName: 'r',
      }),
    );
    expect(intake).toMatchObject({
      kind: 'config',
      resourceId: 'vpc-1',
      resourceType: 'AWS::EC2::VPC',
      complianceType: 'NON_COMPLIANT',
    });
  });

  it('reads a scheduled sweep and the guardrail named by its rule', () => {
    expect(classify(sweepEvent({ account: ACCOUNT, region: REGION, guardrail: 'flow-logs' }))).toMatchObject({
      kind: 'sweep',
      guardrail: 'flow-logs',
      trigger: { type: 'sweep' },
    });
    expect(classify(sweepEvent({ account: ACCOUNT, region: REGION }))).toMatchObject({ kind: 'sweep', guardrail: null });
  });

  it.each([
    ['null', null, 'event is not a JSON object (null)'],
    ['an array', [1, 2], 'event is not a JSON object (array)'],
    ['a string', 'StopLogging', 'event is not a JSON object (string)'],
    ['an empty object', {}, 'not an EventBridge event'],
  ])('rejects %s with a reason', (_name, input, reason) => {
    const intake = classify(input);
    expect(intake.kind).toBe('invalid');
    if (intake.kind === 'invalid') expect(intake.reason).toContain(reason);
  });

  it('rejects an event with a malformed account or a detail of the wrong type', () => {
    const good = apiCallEvent({
      account: ACCOUNT,
      region: REGION,
      eventSource: 'ec2.amazonaws.com',
      eventName: 'DeleteFlowLogs',
      requestParameters: {},
    });
    const badAccount = classify({ ...good, account: 'not-an-account' });
    expect(badAccount).toMatchObject({ kind: 'invalid' });
    const arrayDetail = classify({ ...good, detail: [] });
    expect(arrayDetail).toMatchObject({ kind: 'invalid' });
    if (arrayDetail.kind === 'invalid') expect(arrayDetail.reason).toMatch(/^malformed CloudTrail record/);
    const arrayParams = classify({ ...good, detail: { ...(good.detail as object), requestParameters: ['x'] } });
    expect(arrayParams).toMatchObject({ kind: 'invalid' });
  });

  it('rejects an event over 256 KB without parsing it further', () => {
    const event = apiCallEvent({
      account: ACCOUNT,
      region: REGION,
      eventSource: 'cloudtrail.amazonaws.com',
      eventName: 'UpdateTrail',
      requestParameters: { name: 'x'.repeat(MAX_EVENT_BYTES) },
    });
    const intake = classify(event);
    expect(intake.kind).toBe('invalid');
    if (intake.kind === 'invalid') expect(intake.reason).toMatch(/over EventBridge's 262144-byte limit/);
  });

  it('rejects unknown detail-types, naming them', () => {
    const intake = classify({
      ...sweepEvent({ account: ACCOUNT, region: REGION }),
      'detail-type': 'EC2 Instance State-change Notification',
      source: 'aws.ec2',
    });
    expect(intake).toMatchObject({
      kind: 'invalid',
      reason: 'unsupported event: detail-type "EC2 Instance State-change Notification" from "aws.ec2"',
    });
  });
});

describe('identity helpers', () => {
  it('finds the session issuer of an assumed role, with its path', () => {
    const event = apiCallEvent({
      account: ACCOUNT,
      region: REGION,
      eventSource: 'cloudtrail.amazonaws.com',
      eventName: 'StopLogging',
      requestParameters: {},
      identity: { kind: 'assumed-role', account: ACCOUNT, roleName: 'ops', path: '/team/a/' },
    });
    const detail = event.detail as { userIdentity: Record<string, unknown> };
    expect(sessionIssuerArn(detail.userIdentity)).toBe(`arn:aws:iam::${ACCOUNT}:role/team/a/ops`);
  });

  it('has no session issuer for users (empty sessionIssuer), root, or a missing identity', () => {
    for (const identity of [
      { kind: 'user' as const, account: ACCOUNT, userName: 'u' },
      { kind: 'root' as const, account: ACCOUNT },
    ]) {
      const e = apiCallEvent({
        account: ACCOUNT,
        region: REGION,
        eventSource: 'a.amazonaws.com',
        eventName: 'X',
        requestParameters: {},
        identity,
      });
      expect(sessionIssuerArn((e.detail as { userIdentity: Record<string, unknown> }).userIdentity)).toBeNull();
    }
    expect(sessionIssuerArn(null)).toBeNull();
    expect(sessionIssuerArn({ sessionContext: 'weird' })).toBeNull();
  });

  it('names the actor by ARN, else principal, else the invoking service', () => {
    expect(actorOf({ arn: 'arn:aws:iam::1:user/a' })).toBe('arn:aws:iam::1:user/a');
    expect(actorOf({ type: 'AWSService', invokedBy: 'config.amazonaws.com' })).toBe('config.amazonaws.com');
    expect(actorOf(null)).toBeNull();
  });
});
