import { randomUUID } from 'node:crypto';

/**
 * Builders for EventBridge events shaped like the real ones (see shared notes on CloudTrail
 * records). Used by the demo and the tests; never by the controllers.
 */

export type Identity =
  | { kind: 'assumed-role'; account: string; roleName: string; path?: string; session?: string }
  | { kind: 'user'; account: string; userName: string }
  | { kind: 'root'; account: string };

function userIdentity(identity: Identity): Record<string, unknown> {
  if (identity.kind === 'assumed-role') {
    const path = identity.path ? `${identity.path.replace(/^\/|\/$/g, '')}/` : '';
    const session = identity.session ?? 'session-1';
    return {
      type: 'AssumedRole',
      principalId: `AROAEXAMPLEID0000001:${session}`,
      arn: `arn:aws:sts::${identity.account}:assumed-role/${identity.roleName}/${session}`,
      accountId: identity.account,
      accessKeyId: 'ASIAEXAMPLEKEY000001',
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: 'AROAEXAMPLEID0000001',
          arn: `arn:aws:iam::${identity.account}:role/${path}${identity.roleName}`,
          accountId: identity.account,
          userName: identity.roleName,
        },
        webIdFederationData: {},
        attributes: { creationDate: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), mfaAuthenticated: 'false' },
      },
    };
  }
  if (identity.kind === 'user') {
    return {
      type: 'IAMUser',
      principalId: 'AIDAEXAMPLEUSER00001',
      arn: `arn:aws:iam::${identity.account}:user/${identity.userName}`,
      accountId: identity.account,
      accessKeyId: 'AKIAEXAMPLEKEY000001',
      userName: identity.userName,
      // Console sessions carry a sessionContext whose sessionIssuer is empty.
      sessionContext: { sessionIssuer: {}, webIdFederationData: {}, attributes: { mfaAuthenticated: 'true' } },
    };
  }
  return {
    type: 'Root',
    principalId: identity.account,
    arn: `arn:aws:iam::${identity.account}:root`,
    accountId: identity.account,
  };
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
