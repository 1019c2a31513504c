import {
  CreateDetectorCommand,
  DescribePublishingDestinationCommand,
  GetAdministratorAccountCommand,
  GetDetectorCommand,
  type GetDetectorCommandOutput,
  GetIPSetCommand,
  GuardDutyClient,
  ListDetectorsCommand,
  ListPublishingDestinationsCommand,
  UpdateDetectorCommand,
  UpdateIPSetCommand,
} from '@aws-sdk/client-guardduty';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { apiCallEvent, sweepEvent } from '../../cli/events.js';
import { AwsClients } from '../../controllers/core/aws.js';
import { Controller } from '../../controllers/core/controller.js';
import { parsePolicy } from '../../controllers/core/policy.js';
import { guardduty } from '../../controllers/guardduty/index.js';
import { ACCOUNT, CREDENTIALS, quietLogger, REGION } from '../helpers/emulator.js';
import { guardDutyPolicy } from '../helpers/guardduty.js';
import { policyWith } from '../helpers/policy.js';

// These paths are not modelled by the emulator (moto 5.2.5): UpdateDetector merging features (moto
// replaces the list), legacy dataSources reflected in features, GetAdministratorAccount (moto answers
// with keys the SDK does not read), IP sets and publishing destinations (no moto support at all),
// access denied, an unreachable region, and a detector created concurrently.

const gdMock = mockClient(GuardDutyClient);
const DETECTOR = '6cc7d5fd0e0b1f4a0f6bd3c1b1c2a0d9';
const ADMIN = '111111111111';

function controller(section: Record<string, unknown> = guardDutyPolicy()) {
  return new Controller({
    guardrails: [guardduty],
    policy: parsePolicy(policyWith({ guardduty: section }), [guardduty]),
    account: ACCOUNT,
    clients: new AwsClients({ credentials: CREDENTIALS, maxAttempts: 1 }),
    logger: quietLogger(),
  });
}

const event = (eventName: string, requestParameters: Record<string, unknown>, responseElements?: Record<string, unknown>) =>
  apiCallEvent({
    account: ACCOUNT,
    region: REGION,
    eventSource: 'guardduty.amazonaws.com',
    eventName,
    requestParameters,
    responseElements,
  });

/** A detector as AWS reports it: every plan in `features`, the legacy view in `dataSources`. */
function awsDetector(over: Partial<GetDetectorCommandOutput> = {}): Partial<GetDetectorCommandOutput> {
  return {
    Status: 'ENABLED',
    FindingPublishingFrequency: 'FIFTEEN_MINUTES',
    DataSources: {
      CloudTrail: { Status: 'ENABLED' },
      DNSLogs: { Status: 'ENABLED' },
      FlowLogs: { Status: 'ENABLED' },
      S3Logs: { Status: 'ENABLED' },
      Kubernetes: { AuditLogs: { Status: 'ENABLED' } },
      MalwareProtection: { ScanEc2InstanceWithFindings: { EbsVolumes: { Status: 'ENABLED' } } },
    },
    Features: [
      { Name: 'CLOUD_TRAIL', Status: 'ENABLED' },
      { Name: 'S3_DATA_EVENTS', Status: 'ENABLED' },
      { Name: 'EKS_AUDIT_LOGS', Status: 'ENABLED' },
      { Name: 'EBS_MALWARE_PROTECTION', Status: 'ENABLED' },
      { Name: 'RDS_LOGIN_EVENTS', Status: 'ENABLED' },
      { Name: 'LAMBDA_NETWORK_LOGS', Status: 'ENABLED' },
      { Name: 'RUNTIME_MONITORING', Status: 'ENABLED' },
    ],
    Tags: {},
    ...over,
  };
}

const withFeature = (name: string, status: 'ENABLED' | 'DISABLED') =>
  awsDetector().Features?.map((f) => (f.Name === name ? { ...f, Status: status } : f));

beforeEach(() => {
  gdMock.reset();
  gdMock.on(ListDetectorsCommand).resolves({ DetectorIds: [DETECTOR] });
  gdMock.on(GetAdministratorAccountCommand).resolves({});
});

describe('GuardDuty guardrail against mocked AWS semantics', () => {
  it('a plan switched off → UpdateDetector names only that plan; LAMBDA_NETWORK_LOGS (ungoverned) is never sent', async () => {
    gdMock
      .on(GetDetectorCommand)
      .resolvesOnce(awsDetector({ Features: withFeature('EKS_AUDIT_LOGS', 'DISABLED') }))
      .resolves(awsDetector());
    gdMock.on(UpdateDetectorCommand).resolves({});

    const [record] = await controller().handleEvent(
      event('UpdateDetector', { detectorId: DETECTOR, features: [{ name: 'EKS_AUDIT_LOGS', status: 'DISABLED' }] }),
    );

    expect(record).toMatchObject({ outcome: 'remediated', verified: true });
    const updates = gdMock.commandCalls(UpdateDetectorCommand);
    expect(updates).toHaveLength(1);
    expect(updates[0]?.args[0].input).toEqual({
      DetectorId: DETECTOR,
      Features: [{ Name: 'EKS_AUDIT_LOGS', Status: 'ENABLED' }],
    });
  });

  it('legacy dataSources switched off (AWS reflects it in features) → restored through features', async () => {
    // What AWS reports after UpdateDetector {dataSources: {s3Logs: {enable: false}}}.
    const off = awsDetector({ Features: withFeature('S3_DATA_EVENTS', 'DISABLED') });
    off.DataSources = { ...off.DataSources, S3Logs: { Status: 'DISABLED' } } as GetDetectorCommandOutput['DataSources'];
    gdMock.on(GetDetectorCommand).resolvesOnce(off).resolves(awsDetector());
    gdMock.on(UpdateDetectorCommand).resolves({});

    const [record] = await controller().handleEvent(
      event('UpdateDetector', { detectorId: DETECTOR, dataSources: { s3Logs: { enable: false } } }),
    );

    expect(record).toMatchObject({
      outcome: 'remediated',
      drift: [{ property: 'features.S3_DATA_EVENTS', observed: 'DISABLED', desired: 'ENABLED' }],
    });
    expect(gdMock.commandCalls(UpdateDetectorCommand)[0]?.args[0].input.Features).toEqual([
      { Name: 'S3_DATA_EVENTS', Status: 'ENABLED' },
    ]);
  });

  it('an old detector that reports only dataSources is read from them', async () => {
    const legacy = awsDetector({ Features: undefined });
    legacy.DataSources = {
      ...legacy.DataSources,
      Kubernetes: { AuditLogs: { Status: 'DISABLED' } },
    } as GetDetectorCommandOutput['DataSources'];
    gdMock.on(GetDetectorCommand).resolves(legacy);
    const [record] = await controller({
      mode: 'notify',
      features: { EKS_AUDIT_LOGS: 'ENABLED', S3_DATA_EVENTS: 'ENABLED' },
    }).handleEvent(sweepEvent({ account: ACCOUNT, region: REGION }));
    expect(record).toMatchObject({
      outcome: 'drift-detected',
      drift: [{ property: 'features.EKS_AUDIT_LOGS', observed: 'DISABLED', desired: 'ENABLED' }],
    });
  });

  it('member of a delegated administrator: a suspended detector is reported for the administrator, not changed', async () => {
    gdMock.on(GetDetectorCommand).resolves(awsDetector({ Status: 'DISABLED' }));
    gdMock.on(GetAdministratorAccountCommand).resolves({ Administrator: { AccountId: ADMIN, RelationshipStatus: 'Enabled' } });

    const [record] = await controller().handleEvent(event('UpdateDetector', { detectorId: DETECTOR, enable: false }));

    expect(record).toMatchObject({ outcome: 'drift-detected', mode: 'notify', actions: [] });
    expect(record?.reason).toContain(`member of administrator ${ADMIN}`);
    expect(gdMock.commandCalls(UpdateDetectorCommand)).toHaveLength(0);
  });

  it('CreateIPSet activating a trusted list → drift-detected with its location; remediate deactivates it', async () => {
    gdMock.on(GetDetectorCommand).resolves(awsDetector());
    const active = {
      Name: 'office',
      Format: 'TXT' as const,
      Location: 'https://s3.amazonaws.com/b/ips.txt',
      Status: 'ACTIVE' as const,
    };
    gdMock
      .on(GetIPSetCommand)
      .resolvesOnce(active)
      .resolvesOnce(active)
      .resolves({ ...active, Status: 'INACTIVE' });
    gdMock.on(UpdateIPSetCommand).resolves({});
    const create = event(
      'CreateIPSet',
      { detectorId: DETECTOR, name: 'office', format: 'TXT', location: active.Location, activate: true },
      { ipSetId: 'b2c4e6' },
    );

    const [reported] = await controller().handleEvent(create);
    const [fixed] = await controller(guardDutyPolicy({ trustedIpSets: 'remediate' })).handleEvent(create);

    expect(reported).toMatchObject({
      outcome: 'drift-detected',
      mode: 'notify',
      resource: { type: 'AWS::GuardDuty::IPSet', id: 'b2c4e6' },
      drift: [
        { property: 'ipSet.status', observed: { status: 'ACTIVE', name: 'office', format: 'TXT', location: active.Location } },
      ],
    });
    expect(fixed).toMatchObject({ outcome: 'remediated', verified: true, actions: [{ api: 'guardduty:UpdateIPSet', ok: true }] });
    // Reported: GetDetector + GetIPSet. Remediated: those two, UpdateIPSet, and the two again to verify.
    expect(gdMock.commandCalls(GetDetectorCommand)).toHaveLength(3);
    expect(gdMock.commandCalls(GetIPSetCommand)).toHaveLength(3);
    expect(gdMock.commandCalls(UpdateIPSetCommand).map((c) => c.args[0].input)).toEqual([
      { DetectorId: DETECTOR, IpSetId: 'b2c4e6', Activate: false },
    ]);
  });

  it('DeletePublishingDestination → failed (cannot be recreated from the policy)', async () => {
    gdMock.on(GetDetectorCommand).resolves(awsDetector());
    gdMock.on(DescribePublishingDestinationCommand).rejects(
      Object.assign(new Error('The request is rejected because the input destinationId is not valid.'), {
        name: 'BadRequestException',
      }),
    );

    const [record] = await controller().handleEvent(
      event('DeletePublishingDestination', { detectorId: DETECTOR, destinationId: 'a4b6c8' }),
    );

    expect(record).toMatchObject({
      outcome: 'failed',
      resource: { type: 'AWS::GuardDuty::PublishingDestination', id: 'a4b6c8' },
      drift: [{ property: 'publishingDestination', observed: 'deleted', desired: 'exists' }],
    });
  });

  it('delivery: UpdatePublishingDestination leaving it UNABLE_TO_PUBLISH… → failed with the status', async () => {
    gdMock.on(GetDetectorCommand).resolves(awsDetector());
    gdMock.on(DescribePublishingDestinationCommand).resolves({
      DestinationId: 'a4b6c8',
      DestinationType: 'S3',
      Status: 'UNABLE_TO_PUBLISH_FIX_DESTINATION_PROPERTY',
      DestinationProperties: { DestinationArn: 'arn:aws:s3:::findings-export' },
    });
    const [record] = await controller().handleEvent(
      event('UpdatePublishingDestination', { detectorId: DETECTOR, destinationId: 'a4b6c8' }),
    );
    expect(record).toMatchObject({
      outcome: 'failed',
      retryable: false,
      actions: [],
      drift: [
        {
          property: 'publishingDestination.status',
          observed: {
            status: 'UNABLE_TO_PUBLISH_FIX_DESTINATION_PROPERTY',
            destinationType: 'S3',
            destinationArn: 'arn:aws:s3:::findings-export',
          },
          desired: 'PUBLISHING',
        },
      ],
    });
    expect(record?.reason).toContain('is UNABLE_TO_PUBLISH_FIX_DESTINATION_PROPERTY, not PUBLISHING');
  });

  it('delivery: the sweep lists every publishing destination and reports the one not PUBLISHING', async () => {
    gdMock.on(ListDetectorsCommand).resolves({ DetectorIds: [DETECTOR] });
    gdMock.on(GetDetectorCommand).resolves(awsDetector());
    gdMock.on(GetAdministratorAccountCommand).resolves({});
    gdMock
      .on(ListPublishingDestinationsCommand)
      .resolvesOnce({ Destinations: [{ DestinationId: 'ok1', DestinationType: 'S3', Status: 'PUBLISHING' }], NextToken: 'n' })
      .resolves({ Destinations: [{ DestinationId: 'stopped1', DestinationType: 'S3', Status: 'STOPPED' }] });
    gdMock.on(DescribePublishingDestinationCommand, { DestinationId: 'ok1' }).resolves({ Status: 'PUBLISHING' });
    gdMock.on(DescribePublishingDestinationCommand, { DestinationId: 'stopped1' }).resolves({ Status: 'STOPPED' });
    const records = await controller().handleEvent(sweepEvent({ account: ACCOUNT, region: REGION, guardrail: 'guardduty' }));
    expect(records.map((r) => [r.resource.type, r.resource.id, r.outcome])).toEqual([
      ['AWS::GuardDuty::Detector', DETECTOR, 'compliant'],
      ['AWS::GuardDuty::PublishingDestination', 'ok1', 'compliant'],
      ['AWS::GuardDuty::PublishingDestination', 'stopped1', 'failed'],
    ]);
    expect(records[2]?.reason).toContain('is STOPPED, not PUBLISHING');
  });

  it('delivery: an endpoint that does not serve ListPublishingDestinations (HTTP 404, no AWS error) lists none', async () => {
    gdMock.on(ListDetectorsCommand).resolves({ DetectorIds: [DETECTOR] });
    gdMock.on(GetDetectorCommand).resolves(awsDetector());
    gdMock.on(GetAdministratorAccountCommand).resolves({});
    // What the SDK throws for moto 5.2.5's HTML 404 page: a deserialization error, no $fault.
    gdMock
      .on(ListPublishingDestinationsCommand)
      .rejects(Object.assign(new SyntaxError('Unexpected token <'), { $metadata: { httpStatusCode: 404 } }));
    const records = await controller().handleEvent(sweepEvent({ account: ACCOUNT, region: REGION, guardrail: 'guardduty' }));
    expect(records.map((r) => [r.resource.id, r.outcome])).toEqual([[DETECTOR, 'compliant']]);
  });

  it('delivery: destinations that cannot be listed end the sweep with a failed record; the detector is still checked', async () => {
    gdMock.on(ListDetectorsCommand).resolves({ DetectorIds: [DETECTOR] });
    gdMock.on(GetDetectorCommand).resolves(awsDetector());
    gdMock.on(GetAdministratorAccountCommand).resolves({});
    gdMock.on(ListPublishingDestinationsCommand).rejects(
      Object.assign(new Error('denied by an SCP'), {
        name: 'AccessDeniedException',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
      }),
    );
    const records = await controller().handleEvent(sweepEvent({ account: ACCOUNT, region: REGION, guardrail: 'guardduty' }));
    expect(records.map((r) => [r.resource.id, r.outcome])).toEqual([
      [DETECTOR, 'compliant'],
      ['*', 'failed'],
    ]);
    expect(records[1]?.reason).toBe(
      'sweep incomplete: publishing destinations not listed: AccessDeniedException: denied by an SCP',
    );
  });

  it('access denied → a failed, non-retryable record, never a throw', async () => {
    gdMock
      .on(GetDetectorCommand)
      .rejects(
        Object.assign(new Error('User is not authorized to perform: guardduty:GetDetector'), { name: 'AccessDeniedException' }),
      );
    const [record] = await controller().handleEvent(event('UpdateDetector', { detectorId: DETECTOR, enable: false }));
    expect(record).toMatchObject({ outcome: 'failed', retryable: false });
    expect(record?.reason).toMatch(/^AccessDeniedException: /);
  });

  it('a region where GuardDuty cannot be reached → a clear failed record from the sweep and from events', async () => {
    gdMock
      .on(ListDetectorsCommand)
      .rejects(Object.assign(new Error('getaddrinfo ENOTFOUND guardduty.us-east-1.amazonaws.com'), { code: 'ENOTFOUND' }));
    const c = controller();
    const [swept] = await c.handleEvent(sweepEvent({ account: ACCOUNT, region: REGION }));
    const [evented] = await c.handleEvent(event('DeleteDetector', { detectorId: DETECTOR }));
    for (const r of [swept, evented]) {
      expect(r).toMatchObject({ outcome: 'failed', retryable: false });
      expect(r?.reason).toContain(`GuardDutyUnavailable: GuardDuty cannot be reached in ${REGION}`);
    }
  });

  it('a detector created concurrently between observe and apply → no second CreateDetector', async () => {
    gdMock
      .on(ListDetectorsCommand)
      .resolvesOnce({ DetectorIds: [] }) // resolve the event's detector
      .resolvesOnce({ DetectorIds: [] }) // observe: none
      .resolves({ DetectorIds: [DETECTOR] }); // apply's re-check and verification: someone created it
    gdMock.on(GetDetectorCommand).resolves(awsDetector());

    const [record] = await controller().handleEvent(event('DeleteDetector', { detectorId: 'deadbeef' }));

    expect(gdMock.commandCalls(CreateDetectorCommand)).toHaveLength(0);
    expect(record).toMatchObject({ outcome: 'remediated', verified: true });
  });

  it('CreateDetector sends the policy features, frequency and the managed tag', async () => {
    gdMock
      .on(ListDetectorsCommand)
      .resolvesOnce({ DetectorIds: [] })
      .resolvesOnce({ DetectorIds: [] })
      .resolvesOnce({ DetectorIds: [] })
      .resolves({ DetectorIds: [DETECTOR] });
    gdMock.on(CreateDetectorCommand).resolves({ DetectorId: DETECTOR });
    gdMock.on(GetDetectorCommand).resolves(awsDetector());

    const [record] = await controller().handleEvent(event('DeleteDetector', { detectorId: DETECTOR }));

    expect(record).toMatchObject({ outcome: 'remediated', actions: [{ api: 'guardduty:CreateDetector', ok: true }] });
    expect(gdMock.commandCalls(CreateDetectorCommand)[0]?.args[0].input).toEqual({
      Enable: true,
      FindingPublishingFrequency: 'FIFTEEN_MINUTES',
      Features: [
        { Name: 'S3_DATA_EVENTS', Status: 'ENABLED' },
        { Name: 'EKS_AUDIT_LOGS', Status: 'ENABLED' },
        { Name: 'EBS_MALWARE_PROTECTION', Status: 'ENABLED' },
        { Name: 'RDS_LOGIN_EVENTS', Status: 'ENABLED' },
        { Name: 'RUNTIME_MONITORING', Status: 'ENABLED' },
      ],
      Tags: { 'logwarden:managed': 'true' },
    });
  });

  it('scoped permissions: service-linked role creation always; SLR policy edits only when IP lists are remediated', () => {
    const base = guardduty.scopedPermissions?.(guardduty.policySchema.parse({})) ?? [];
    const fix = guardduty.scopedPermissions?.(guardduty.policySchema.parse({ trustedIpSets: 'remediate' })) ?? [];
    expect(base.flatMap((s) => s.actions)).toEqual([
      'guardduty:UpdateDetector',
      'guardduty:DeleteFilter',
      'guardduty:UpdateIPSet',
      'guardduty:TagResource',
      'iam:CreateServiceLinkedRole',
    ]);
    expect(base.flatMap((s) => s.actions)).not.toContain('iam:PutRolePolicy');
    expect(fix.flatMap((s) => s.actions)).toContain('iam:PutRolePolicy');
  });
});
