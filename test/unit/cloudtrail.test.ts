import {
  CloudTrailClient,
  CreateTrailCommand,
  GetEventSelectorsCommand,
  GetTrailCommand,
  GetTrailStatusCommand,
  ListTagsCommand,
  PutEventSelectorsCommand,
  StartLoggingCommand,
} from '@aws-sdk/client-cloudtrail';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  deliveryProblem,
  desiredTrail,
  diffTrail,
  planTrail,
  TRAIL_PROPERTIES,
  type TrailState,
  trailDeliveryProblem,
} from '../../controllers/cloudtrail/diff.js';
import { parseTrailName, refsFromEvent, resolveTrail } from '../../controllers/cloudtrail/events.js';
import { cloudtrail } from '../../controllers/cloudtrail/index.js';
import { type CloudTrailPolicy, cloudTrailPolicySchema } from '../../controllers/cloudtrail/policy.js';
import { AwsClients } from '../../controllers/core/aws.js';
import { Controller } from '../../controllers/core/controller.js';
import { createLogger } from '../../controllers/core/log.js';
import { parsePolicy } from '../../controllers/core/policy.js';
import type { CloudTrailDetail } from '../../controllers/core/types.js';
import { BUCKET, CW_ROLE, KMS_KEY, LOG_GROUP, TRAIL, trailEvent, trailPolicy } from '../helpers/cloudtrail.js';
import { ACCOUNT } from '../helpers/emulator.js';
import { policyWith } from '../helpers/policy.js';

const REGION = 'us-east-1';
const policy: CloudTrailPolicy = cloudTrailPolicySchema.parse(trailPolicy());
const desired = desiredTrail(policy.trails[0] as CloudTrailPolicy['trails'][number]);
const ARN = `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/${TRAIL}`;

const compliant: Extract<TrailState, { exists: true }> = {
  exists: true,
  arn: ARN,
  homeRegion: REGION,
  s3BucketName: BUCKET,
  s3KeyPrefix: 'cloudtrail',
  kmsKeyId: KMS_KEY,
  isMultiRegionTrail: true,
  logFileValidationEnabled: true,
  includeGlobalServiceEvents: true,
  isOrganizationTrail: false,
  cloudWatchLogsLogGroupArn: LOG_GROUP,
  cloudWatchLogsRoleArn: CW_ROLE,
  isLogging: true,
  delivery: null,
  eventSelectors: [{ ReadWriteType: 'All', IncludeManagementEvents: true, DataResources: [], ExcludeManagementEventSources: [] }],
  advancedEventSelectors: [],
};

/** What CloudTrail does with each UpdateTrail field: the state property it sets (the fake write below). */
const UPDATE_FIELD_SETS: Record<string, keyof typeof compliant> = {
  S3BucketName: 's3BucketName',
  S3KeyPrefix: 's3KeyPrefix',
  KmsKeyId: 'kmsKeyId',
  IsMultiRegionTrail: 'isMultiRegionTrail',
  EnableLogFileValidation: 'logFileValidationEnabled',
  IncludeGlobalServiceEvents: 'includeGlobalServiceEvents',
  IsOrganizationTrail: 'isOrganizationTrail',
  CloudWatchLogsLogGroupArn: 'cloudWatchLogsLogGroupArn',
  CloudWatchLogsRoleArn: 'cloudWatchLogsRoleArn',
};

/** Apply a plan to a state as CloudTrail would. */
function written(state: typeof compliant, steps: ReturnType<typeof planTrail>): typeof compliant {
  let out = { ...state };
  for (const step of steps) {
    if (step.api === 'cloudtrail:StartLogging') out = { ...out, isLogging: true };
    if (step.api === 'cloudtrail:PutEventSelectors') out = { ...out, eventSelectors: compliant.eventSelectors };
    if (step.api === 'cloudtrail:UpdateTrail') {
      for (const [field, value] of Object.entries(step.fields)) out = { ...out, [UPDATE_FIELD_SETS[field] as string]: value };
    }
  }
  return out;
}

describe('diffTrail and planTrail (pure)', () => {
  it('every governed property the diff compares is written back by the plan (one table feeds both)', () => {
    const governed = TRAIL_PROPERTIES.filter((p) => p.governed?.(desired) ?? true).map((p) => p.property);
    expect(governed).toHaveLength(11);
    for (const property of governed) {
      const value = compliant[property as keyof typeof compliant];
      const changed = typeof value === 'boolean' ? !value : Array.isArray(value) ? [] : 'tampered';
      const state = { ...compliant, [property]: changed };
      const drift = diffTrail(state, desired);
      expect(drift.map((d) => d.property)).toEqual([property]);
      expect(diffTrail(written(state, planTrail(state, desired, drift)), desired)).toEqual([]);
    }
  });

  it('a compliant trail has no drift and no plan', () => {
    expect(diffTrail(compliant, desired)).toEqual([]);
    expect(planTrail(compliant, desired, [])).toEqual([]);
  });

  it('selector order and omitted defaults do not count as drift', () => {
    const state = { ...compliant, eventSelectors: [{ IncludeManagementEvents: true } as never] };
    expect(diffTrail(state, desired)).toEqual([]);
  });

  it.each([
    ['isLogging', { isLogging: false }, ['cloudtrail:StartLogging']],
    ['isMultiRegionTrail', { isMultiRegionTrail: false }, ['cloudtrail:UpdateTrail']],
    ['logFileValidationEnabled', { logFileValidationEnabled: false }, ['cloudtrail:UpdateTrail']],
    ['kmsKeyId', { kmsKeyId: null }, ['cloudtrail:UpdateTrail']],
    ['s3BucketName', { s3BucketName: 'evil' }, ['cloudtrail:UpdateTrail']],
    ['includeGlobalServiceEvents', { includeGlobalServiceEvents: false }, ['cloudtrail:UpdateTrail']],
    ['cloudWatchLogsLogGroupArn', { cloudWatchLogsLogGroupArn: null }, ['cloudtrail:UpdateTrail']],
    [
      'eventSelectors',
      { eventSelectors: [{ ReadWriteType: 'ReadOnly', IncludeManagementEvents: true }] },
      ['cloudtrail:PutEventSelectors'],
    ],
    [
      'eventSelectors',
      { eventSelectors: [{ ReadWriteType: 'All', IncludeManagementEvents: false }] },
      ['cloudtrail:PutEventSelectors'],
    ],
  ])('%s weakened → %s', (property, change, apis) => {
    const state = { ...compliant, ...change } as TrailState;
    const drift = diffTrail(state, desired);
    expect(drift.map((d) => d.property)).toContain(property);
    expect(planTrail(state, desired, drift).map((s) => s.api)).toEqual(apis);
  });

  it('one UpdateTrail carries every drifted field; CloudWatch Logs fields travel together', () => {
    const state = { ...compliant, isMultiRegionTrail: false, kmsKeyId: null, cloudWatchLogsRoleArn: null, isLogging: false };
    const steps = planTrail(state, desired, diffTrail(state, desired));
    expect(steps.map((s) => s.api)).toEqual(['cloudtrail:UpdateTrail', 'cloudtrail:StartLogging']);
    expect(steps[0]).toMatchObject({
      fields: {
        IsMultiRegionTrail: true,
        KmsKeyId: KMS_KEY,
        CloudWatchLogsLogGroupArn: LOG_GROUP,
        CloudWatchLogsRoleArn: CW_ROLE,
      },
    });
  });

  it('a missing trail is created, given its selectors and started', () => {
    const drift = diffTrail({ exists: false }, desired);
    expect(drift).toEqual([{ property: 'exists', observed: false, desired: true }]);
    expect(planTrail({ exists: false }, desired, drift).map((s) => s.api)).toEqual([
      'cloudtrail:CreateTrail',
      'cloudtrail:PutEventSelectors',
      'cloudtrail:StartLogging',
    ]);
  });

  it('properties the policy leaves out are not governed (no KMS key, no CloudWatch Logs in the policy)', () => {
    const loose = desiredTrail(
      cloudTrailPolicySchema.parse({ trails: [{ name: TRAIL, homeRegion: REGION, s3BucketName: BUCKET }] }).trails[0] as never,
    );
    expect(
      diffTrail(
        { ...compliant, s3KeyPrefix: null, kmsKeyId: null, cloudWatchLogsLogGroupArn: null, cloudWatchLogsRoleArn: null },
        loose,
      ),
    ).toEqual([]);
  });

  it('advanced selectors replacing the basic ones are drift for a basic policy (emulator cannot model the switch)', () => {
    const state = {
      ...compliant,
      eventSelectors: [],
      advancedEventSelectors: [{ FieldSelectors: [{ Field: 'readOnly', Equals: ['true'] }] }],
    };
    const drift = diffTrail(state, desired);
    expect(drift.map((d) => d.property)).toEqual(['eventSelectors']);
  });

  it('advanced policy: reordered field selectors are equal; narrowed ones are drift', () => {
    const adv = desiredTrail(
      cloudTrailPolicySchema.parse(
        trailPolicy({
          advancedEventSelectors: [{ Name: 'mgmt', FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }] }],
        }),
      ).trails[0] as never,
    );
    const same = {
      ...compliant,
      eventSelectors: [],
      advancedEventSelectors: [{ Name: 'other label', FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }] }],
    };
    expect(diffTrail(same, adv)).toEqual([]);
    const narrowed = {
      ...same,
      advancedEventSelectors: [
        {
          FieldSelectors: [
            { Field: 'readOnly', Equals: ['true'] },
            { Field: 'eventCategory', Equals: ['Management'] },
          ],
        },
      ],
    };
    expect(diffTrail(narrowed, adv).map((d) => d.property)).toEqual(['advancedEventSelectors']);
  });
});

describe('delivery health (pure)', () => {
  const NOW = '2026-11-30T12:00:00.000Z';
  const ago = (minutes: number) => new Date(Date.parse(NOW) - minutes * 60_000).toISOString();
  const status = (over: Partial<NonNullable<typeof compliant.delivery>> = {}) => ({
    latestDeliveryError: null,
    latestDeliveryTime: ago(5),
    startLoggingTime: ago(600),
    observedAt: NOW,
    ...over,
  });
  const withDelivery = (over: Partial<NonNullable<typeof compliant.delivery>> = {}, isLogging = true) => ({
    ...compliant,
    isLogging,
    delivery: status(over),
  });

  it('a recent delivery without error is compliant; the default bound is 60 minutes', () => {
    expect(policy.deliveryStaleAfterMinutes).toBe(60);
    expect(diffTrail(withDelivery(), desired)).toEqual([]);
    expect(diffTrail(withDelivery({ latestDeliveryTime: ago(59) }), desired)).toEqual([]);
  });

  it('LatestDeliveryError → delivery drift carrying the error; reported only (the bucket is the log archive one)', () => {
    const drift = diffTrail(withDelivery({ latestDeliveryError: 'AccessDenied' }), desired);
    expect(drift).toEqual([
      {
        property: 'delivery',
        observed: {
          problem: 'CloudTrail reports an S3 delivery error: AccessDenied',
          latestDeliveryError: 'AccessDenied',
          latestDeliveryTime: ago(5),
          startLoggingTime: ago(600),
        },
        desired: `log files delivered to s3://${BUCKET} within 60 minutes, without error`,
      },
    ]);
    expect(planTrail(withDelivery({ latestDeliveryError: 'AccessDenied' }), desired, drift)).toEqual([]);
    expect(trailDeliveryProblem(drift, desired)).toContain('AccessDenied');
    expect(trailDeliveryProblem(drift, desired)).toContain('runbooks/cloudtrail.md#delivery');
  });

  it('a delivery older than the bound is drift; the bound comes from the policy', () => {
    expect(diffTrail(withDelivery({ latestDeliveryTime: ago(61) }), desired).map((d) => d.property)).toEqual(['delivery']);
    const lax = desiredTrail(policy.trails[0] as CloudTrailPolicy['trails'][number], 120);
    expect(diffTrail(withDelivery({ latestDeliveryTime: ago(61) }), lax)).toEqual([]);
  });

  it('a trail that just (re)started logging is not judged yet: no flapping right after a fix', () => {
    expect(deliveryProblem(status({ latestDeliveryTime: null, startLoggingTime: ago(3) }), 60)).toBeNull();
    // An error and an old delivery from before the restart are not held against it either.
    expect(
      deliveryProblem(
        status({ latestDeliveryError: 'NoSuchBucket', latestDeliveryTime: ago(300), startLoggingTime: ago(3) }),
        60,
      ),
    ).toBeNull();
    // Started long ago and never delivered: drift.
    expect(deliveryProblem(status({ latestDeliveryTime: null, startLoggingTime: ago(90) }), 60)).toContain(
      'no log file delivered',
    );
  });

  it('delivery is not judged on a stopped trail, nor while a setting drifts, nor right after a write (null)', () => {
    const broken = { latestDeliveryError: 'AccessDenied' };
    expect(diffTrail(withDelivery(broken, false), desired).map((d) => d.property)).toEqual(['isLogging']);
    const moved = { ...withDelivery(broken), s3BucketName: 'attacker-bucket' };
    const drift = diffTrail(moved, desired);
    expect(drift.map((d) => d.property)).toEqual(['s3BucketName']);
    // Mixed drift is remediated, never held back by the report-only delivery drift.
    expect(trailDeliveryProblem(drift, desired)).toBeNull();
    expect(diffTrail({ ...compliant, delivery: null }, desired)).toEqual([]);
  });

  it('deliveryStaleAfterMinutes is validated (15 minutes to 7 days, whole minutes)', () => {
    for (const bad of [5, 14, 10_081, 30.5, '60']) {
      expect(cloudTrailPolicySchema.safeParse({ ...trailPolicy(), deliveryStaleAfterMinutes: bad }).success).toBe(false);
    }
    expect(cloudTrailPolicySchema.parse({ ...trailPolicy(), deliveryStaleAfterMinutes: 15 }).deliveryStaleAfterMinutes).toBe(15);
  });
});

describe('event resolution (pure)', () => {
  const scope = { account: ACCOUNT, region: REGION };
  const detail = (eventName: string, requestParameters: Record<string, unknown> | null): CloudTrailDetail => ({
    eventName,
    eventSource: 'cloudtrail.amazonaws.com',
    eventID: 'e',
    awsRegion: REGION,
    recipientAccountId: ACCOUNT,
    errorCode: null,
    userIdentity: null,
    requestParameters,
    responseElements: null,
  });

  it('parses names and ARNs', () => {
    expect(parseTrailName(ARN)).toEqual({ name: TRAIL, region: REGION, account: ACCOUNT, partition: 'aws' });
    expect(parseTrailName('plain')).toMatchObject({ name: 'plain', region: null, account: null });
  });

  it('finds the trail by name, by ARN, and by trailName for PutEventSelectors', () => {
    for (const [name, params] of [
      ['StopLogging', { name: TRAIL }],
      ['DeleteTrail', { name: ARN }],
      ['UpdateTrail', { name: TRAIL, isMultiRegionTrail: false }],
      ['PutEventSelectors', { trailName: ARN }],
    ] as const) {
      expect(refsFromEvent(detail(name, params), policy, scope)).toEqual({
        refs: [{ type: 'AWS::CloudTrail::Trail', id: TRAIL, arn: ARN, region: REGION }],
      });
    }
  });

  it('says why an event cannot be used', () => {
    expect(refsFromEvent(detail('StopLogging', null), policy, scope)).toEqual({
      ignore: 'StopLogging event without requestParameters; cannot tell which trail',
    });
    expect(refsFromEvent(detail('StopLogging', { name: 42 }), policy, scope)).toEqual({
      ignore: 'StopLogging event without a string requestParameters.name',
    });
    expect(refsFromEvent(detail('PutEventSelectors', { name: TRAIL }), policy, scope)).toMatchObject({
      ignore: expect.stringContaining('trailName'),
    });
  });

  it('leaves shadow trails to their home region and organization trails to their owner', () => {
    expect(resolveTrail(TRAIL, policy, { account: ACCOUNT, region: 'eu-west-1' })).toMatchObject({
      ignore: expect.stringContaining('has home region us-east-1; it is only changed there'),
    });
    const org = cloudTrailPolicySchema.parse(trailPolicy({ isOrganizationTrail: true, accounts: ['111111111111'] }));
    expect(resolveTrail(TRAIL, org, scope)).toMatchObject({
      ignore: `trail ${TRAIL} is governed in account(s) 111111111111, not ${ACCOUNT}`,
    });
    expect(resolveTrail(`arn:aws:cloudtrail:${REGION}:111111111111:trail/${TRAIL}`, org, scope)).toMatchObject({
      ignore: expect.stringContaining('an organization trail is governed in the account that owns it'),
    });
  });

  it('skipReason leaves an observed shadow or foreign-owned trail alone', () => {
    const ref = { type: 'AWS::CloudTrail::Trail' as const, id: TRAIL, arn: ARN, region: REGION };
    expect(cloudtrail.skipReason?.(ref, compliant, { account: ACCOUNT, region: REGION })).toBeNull();
    expect(
      cloudtrail.skipReason?.(ref, { ...compliant, homeRegion: 'eu-west-1' }, { account: ACCOUNT, region: REGION }),
    ).toContain('shadow');
    expect(
      cloudtrail.skipReason?.(
        ref,
        { ...compliant, arn: ARN.replace(ACCOUNT, '111111111111') },
        { account: ACCOUNT, region: REGION },
      ),
    ).toContain('owned by account 111111111111');
  });

  it('scopes iam:PassRole to the policy CloudWatch Logs roles', () => {
    const passRole = cloudtrail.scopedPermissions?.(policy).filter((p) => p.actions.includes('iam:PassRole'));
    expect(passRole).toEqual([{ actions: ['iam:PassRole'], resources: [CW_ROLE], passedToService: 'cloudtrail.amazonaws.com' }]);
    expect(cloudtrail.iamActions).not.toContain('iam:PassRole');
  });

  it('grants what CloudTrail checks for an organization trail only when the policy has one, IAM on its owner only', () => {
    const section = cloudTrailPolicySchema.parse(
      trailPolicy({ isOrganizationTrail: true, accounts: ['111111111111'], cloudWatchLogs: undefined }),
    );
    const organization = cloudtrail
      .scopedPermissions?.(section)
      .filter((p) => !p.actions.some((a) => a.startsWith('cloudtrail:')));
    expect(organization).toEqual([
      {
        actions: ['organizations:DescribeOrganization', 'organizations:ListAWSServiceAccessForOrganization'],
        resources: ['*'],
        why: 'Organizations has no resource-level permissions for these reads',
      },
      {
        actions: ['iam:GetRole', 'iam:CreateServiceLinkedRole'],
        resources: [
          'arn:{partition}:iam::111111111111:role/aws-service-role/cloudtrail.amazonaws.com/AWSServiceRoleForCloudTrail',
        ],
      },
    ]);
    expect(JSON.stringify(cloudtrail.scopedPermissions?.(policy))).not.toMatch(/organizations:|iam:CreateServiceLinkedRole/);
  });
});

describe('CloudTrail paths the emulator does not model (aws-sdk-client-mock)', () => {
  const ct = mockClient(CloudTrailClient);
  const controller = () =>
    new Controller({
      guardrails: [cloudtrail],
      policy: parsePolicy(policyWith({ cloudtrail: trailPolicy() }), [cloudtrail]),
      account: ACCOUNT,
      clients: new AwsClients({ credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 }),
      logger: createLogger('test'),
    });
  const trail = {
    Name: TRAIL,
    TrailARN: ARN,
    HomeRegion: REGION,
    S3BucketName: BUCKET,
    S3KeyPrefix: 'cloudtrail',
    KmsKeyId: KMS_KEY,
    IsMultiRegionTrail: true,
    LogFileValidationEnabled: true,
    IncludeGlobalServiceEvents: true,
    IsOrganizationTrail: false,
    CloudWatchLogsLogGroupArn: LOG_GROUP,
    CloudWatchLogsRoleArn: CW_ROLE,
  };
  const basic = [
    { ReadWriteType: 'All' as const, IncludeManagementEvents: true, DataResources: [], ExcludeManagementEventSources: [] },
  ];

  beforeEach(() => {
    ct.reset();
    ct.on(ListTagsCommand).resolves({ ResourceTagList: [{ ResourceId: ARN, TagsList: [] }] });
  });

  it('StartLogging denied by an SCP → failed, not retryable, runbook named', async () => {
    ct.on(GetTrailCommand).resolves({ Trail: trail });
    ct.on(GetTrailStatusCommand).resolves({ IsLogging: false });
    ct.on(GetEventSelectorsCommand).resolves({ EventSelectors: basic });
    ct.on(StartLoggingCommand).rejects(
      Object.assign(new Error('explicit deny in a service control policy'), {
        name: 'AccessDeniedException',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const [r] = await controller().handleEvent(trailEvent('StopLogging', { name: TRAIL }));
    expect(r).toMatchObject({
      outcome: 'failed',
      retryable: false,
      runbook: 'runbooks/cloudtrail.md',
      reason: 'cloudtrail:StartLogging failed: AccessDeniedException: explicit deny in a service control policy',
    });
  });

  it('two invocations racing to recreate a deleted trail: TrailAlreadyExists is taken as success and the rest converges', async () => {
    let created = false;
    ct.on(GetTrailCommand).callsFake(() => {
      if (!created) throw Object.assign(new Error('not found'), { name: 'TrailNotFoundException' });
      return { Trail: trail };
    });
    ct.on(CreateTrailCommand).callsFake(() => {
      created = true;
      throw Object.assign(new Error('exists'), { name: 'TrailAlreadyExistsException' });
    });
    ct.on(PutEventSelectorsCommand).resolves({});
    ct.on(StartLoggingCommand).resolves({});
    ct.on(GetTrailStatusCommand).resolves({ IsLogging: true });
    ct.on(GetEventSelectorsCommand).resolves({ EventSelectors: basic });
    const [r] = await controller().handleEvent(trailEvent('DeleteTrail', { name: TRAIL }));
    expect(r).toMatchObject({ outcome: 'remediated', verified: true });
    expect(r?.actions.map((a) => a.ok)).toEqual([true, true, true]);
  });

  // The emulator reports every logging trail as delivered just now: delivery errors and stale
  // deliveries exist only in these mocks.
  it('a LatestDeliveryError on a logging, compliant trail → failed with the error and the runbook, no write', async () => {
    ct.on(GetTrailCommand).resolves({ Trail: trail });
    ct.on(GetTrailStatusCommand).resolves({
      IsLogging: true,
      StartLoggingTime: new Date(Date.now() - 86_400_000),
      LatestDeliveryTime: new Date(Date.now() - 7_200_000),
      LatestDeliveryError: 'AccessDenied',
    });
    ct.on(GetEventSelectorsCommand).resolves({ EventSelectors: basic });
    const [r] = await controller().handleEvent(trailEvent('UpdateTrail', { name: TRAIL }));
    expect(r).toMatchObject({ outcome: 'failed', retryable: false, runbook: 'runbooks/cloudtrail.md' });
    expect(r?.reason).toContain('S3 delivery error: AccessDenied');
    expect(r?.drift.map((d) => d.property)).toEqual(['delivery']);
    expect(ct.commandCalls(StartLoggingCommand)).toHaveLength(0);
  });

  it('a stale delivery is reported; a fresh one is compliant', async () => {
    ct.on(GetTrailCommand).resolves({ Trail: trail });
    ct.on(GetEventSelectorsCommand).resolves({ EventSelectors: basic });
    const started = new Date(Date.now() - 86_400_000);
    ct.on(GetTrailStatusCommand).resolves({
      IsLogging: true,
      StartLoggingTime: started,
      LatestDeliveryTime: new Date(Date.now() - 3 * 3_600_000),
    });
    const [stale] = await controller().handleEvent(trailEvent('UpdateTrail', { name: TRAIL }));
    expect(stale).toMatchObject({ outcome: 'failed', retryable: false });
    expect(stale?.reason).toContain('more than 60 minutes ago');
    ct.on(GetTrailStatusCommand).resolves({ IsLogging: true, StartLoggingTime: started, LatestDeliveryTime: new Date() });
    const [fresh] = await controller().handleEvent(trailEvent('UpdateTrail', { name: TRAIL }));
    expect(fresh).toMatchObject({ outcome: 'compliant' });
  });

  it('a stopped trail with an old delivery error is started and verified: delivery is judged on the next run', async () => {
    let logging = false;
    ct.on(GetTrailCommand).resolves({ Trail: trail });
    ct.on(GetEventSelectorsCommand).resolves({ EventSelectors: basic });
    ct.on(GetTrailStatusCommand).callsFake(() => ({
      IsLogging: logging,
      StartLoggingTime: logging ? new Date() : new Date(Date.now() - 86_400_000),
      LatestDeliveryTime: new Date(Date.now() - 7_200_000),
      LatestDeliveryError: 'AccessDenied',
    }));
    ct.on(StartLoggingCommand).callsFake(() => {
      logging = true;
      return {};
    });
    const [r] = await controller().handleEvent(trailEvent('StopLogging', { name: TRAIL }));
    expect(r).toMatchObject({ outcome: 'remediated', verified: true });
    expect(r?.drift.map((d) => d.property)).toEqual(['isLogging']);
    // Just restarted, no delivery since: not judged yet, so no flapping report right after the fix.
    const [next] = await controller().handleEvent(trailEvent('UpdateTrail', { name: TRAIL }));
    expect(next).toMatchObject({ outcome: 'compliant' });
  });

  it('a basic-selector policy replaces advanced selectors with one PutEventSelectors', async () => {
    let advanced = true;
    ct.on(GetTrailCommand).resolves({ Trail: trail });
    ct.on(GetTrailStatusCommand).resolves({ IsLogging: true });
    ct.on(GetEventSelectorsCommand).callsFake(() =>
      advanced
        ? { AdvancedEventSelectors: [{ Name: 'x', FieldSelectors: [{ Field: 'readOnly', Equals: ['true'] }] }] }
        : { EventSelectors: basic },
    );
    ct.on(PutEventSelectorsCommand).callsFake((input: { EventSelectors?: unknown }) => {
      if (input.EventSelectors) advanced = false;
      return {};
    });
    const [r] = await controller().handleEvent(trailEvent('PutEventSelectors', { trailName: TRAIL, advancedEventSelectors: [] }));
    expect(r).toMatchObject({ outcome: 'remediated', actions: [{ api: 'cloudtrail:PutEventSelectors', ok: true }] });
    expect(ct.commandCalls(PutEventSelectorsCommand)[0]?.args[0].input).toMatchObject({ TrailName: ARN, EventSelectors: basic });
  });
});
