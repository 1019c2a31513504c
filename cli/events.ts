import { randomUUID } from 'node:crypto';

/**
 * Builders for EventBridge events shaped like the real ones (see shared notes on CloudTrail
 * records). Used by the demo and the tests; never by the controllers.
 */

export type Identity =
  | { kind: 'assumed-role'; account: string; roleName: string; path?: string; session?: string }
  | { kind: 'user'; account: string; userName: string }
  | { kind: 'root'; account: string };

function userIdentity(id: Identity): Record<string, unknown> {
  if (id.kind === 'assumed-role') {
    const path = id.path ? `${id.path.replace(/^\/|\/$/g, '')}/` : '';
    const session = id.session ?? 'session-1';
    return {
      type: 'AssumedRole',
      principalId: `AROAEXAMPLEID0000001:${session}`,
      arn: `arn:aws:sts::${id.account}:assumed-role/${id.roleName}/${session}`,
      accountId: id.account,
      accessKeyId: 'ASIAEXAMPLEKEY000001',
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: 'AROAEXAMPLEID0000001',
          arn: `arn:aws:iam::${id.account}:role/${path}${id.roleName}`,
          accountId: id.account,
          userName: id.roleName,
        },
        webIdFederationData: {},
        attributes: { creationDate: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), mfaAuthenticated: 'false' },
      },
    };
  }
  if (id.kind === 'user') {
    return {
      type: 'IAMUser',
      principalId: 'AIDAEXAMPLEUSER00001',
      arn: `arn:aws:iam::${id.account}:user/${id.userName}`,
      accountId: id.account,
      accessKeyId: 'AKIAEXAMPLEKEY000001',
      userName: id.userName,
      // Console sessions carry a sessionContext whose sessionIssuer is empty.
      sessionContext: { sessionIssuer: {}, webIdFederationData: {}, attributes: { mfaAuthenticated: 'true' } },
    };
  }
  return { type: 'Root', principalId: id.account, arn: `arn:aws:iam::${id.account}:root`, accountId: id.account };
}

export interface ApiCallEventInput {
  account: string;
  region: string;
  /** e.g. `cloudtrail.amazonaws.com` */
  eventSource: string;
  eventName: string;
  requestParameters: Record<string, unknown> | null;
  responseElements?: Record<string, unknown> | null;
  identity?: Identity;
  errorCode?: string;
  errorMessage?: string;
}

/** An `AWS API Call via CloudTrail` EventBridge event. */
export function apiCallEvent(input: ApiCallEventInput): Record<string, unknown> {
  const time = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const identity = input.identity ?? { kind: 'user', account: input.account, userName: 'mallory' };
  const detail: Record<string, unknown> = {
    eventVersion: '1.09',
    userIdentity: userIdentity(identity),
    eventTime: time,
    eventSource: input.eventSource,
    eventName: input.eventName,
    awsRegion: input.region,
    sourceIPAddress: '203.0.113.10',
    userAgent: 'aws-cli/2.15.0 md/Botocore#1.34.0 ua/2.0 os/linux',
    requestParameters: input.requestParameters,
    responseElements: input.responseElements ?? null,
    requestID: randomUUID(),
    eventID: randomUUID(),
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: input.account,
    eventCategory: 'Management',
    tlsDetails: {
      tlsVersion: 'TLSv1.3',
      cipherSuite: 'TLS_AES_128_GCM_SHA256',
      clientProvidedHostHeader: `${input.eventSource.split('.')[0]}.${input.region}.amazonaws.com`,
    },
  };
  if (input.errorCode) {
    detail.errorCode = input.errorCode;
    detail.errorMessage = input.errorMessage ?? `${input.errorCode} for ${input.eventName}`;
  }
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'AWS API Call via CloudTrail',
    source: `aws.${input.eventSource.split('.')[0]}`,
    account: input.account,
    time,
    region: input.region,
    resources: [],
    detail,
  };
}

/** A `Config Rules Compliance Change` event. */
export function configComplianceEvent(input: {
  account: string;
  region: string;
  resourceType: string;
  resourceId: string;
  configRuleName: string;
  complianceType?: string;
}): Record<string, unknown> {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Config Rules Compliance Change',
    source: 'aws.config',
    account: input.account,
    time: new Date().toISOString(),
    region: input.region,
    resources: [],
    detail: {
      resourceId: input.resourceId,
      awsRegion: input.region,
      awsAccountId: input.account,
      configRuleName: input.configRuleName,
      recordVersion: '1.0',
      configRuleARN: `arn:aws:config:${input.region}:${input.account}:config-rule/config-rule-abc123`,
      messageType: 'ComplianceChangeNotification',
      newEvaluationResult: {
        evaluationResultIdentifier: {
          evaluationResultQualifier: {
            configRuleName: input.configRuleName,
            resourceType: input.resourceType,
            resourceId: input.resourceId,
          },
          orderingTimestamp: new Date().toISOString(),
        },
        complianceType: input.complianceType ?? 'NON_COMPLIANT',
        resultRecordedTime: new Date().toISOString(),
        configRuleInvokedTime: new Date().toISOString(),
      },
      notificationCreationTime: new Date().toISOString(),
      resourceType: input.resourceType,
    },
  };
}

/** A scheduled (sweep) event from the rule `logwarden-sweep-<guardrail>`. */
export function sweepEvent(input: { account: string; region: string; guardrail?: string }): Record<string, unknown> {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: input.account,
    time: new Date().toISOString(),
    region: input.region,
    resources: input.guardrail ? [`arn:aws:events:${input.region}:${input.account}:rule/logwarden-sweep-${input.guardrail}`] : [],
    detail: {},
  };
}
