import { describe, expect, it } from 'vitest';
import {
  type DesiredRecorder,
  desiredRecorder,
  diffRecorder,
  planRecorder,
  type RecorderState,
  reportOnlyReason,
} from '../../controllers/config-recorder/diff.js';
import { RECORDER_EVENT_SAMPLE, RECORDER_EVENTS, refFromName, refsFromEvent } from '../../controllers/config-recorder/events.js';
import { configRecorderPolicySchema } from '../../controllers/config-recorder/policy.js';
import type { CloudTrailDetail } from '../../controllers/core/types.js';

const where = { account: '123456789012', region: 'us-east-1' };
const ROLE = 'arn:aws:iam::123456789012:role/aws-config-recorder';
const BUCKET = 'central-config-123456789012';
const policy = (extra: Record<string, unknown> = {}) =>
  configRecorderPolicySchema.parse({
    roleArn: 'arn:aws:iam::{account}:role/aws-config-recorder',
    globalResourceTypesRegion: 'us-east-1',
    deliveryChannel: { bucketName: 'central-config-{account}', keyPrefix: 'config' },
    ...extra,
  });
const desired = (extra: Record<string, unknown> = {}, region = 'us-east-1'): DesiredRecorder =>
  desiredRecorder({ account: where.account, region }, policy(extra));
const detail = (
  eventName: string,
  requestParameters: Record<string, unknown> | null,
  awsRegion = 'us-east-1',
): CloudTrailDetail => ({
  eventName,
  eventSource: 'config.amazonaws.com',
  eventID: 'e-1',
  awsRegion,
  recipientAccountId: where.account,
  errorCode: null,
  userIdentity: null,
  requestParameters,
  responseElements: null,
});

const compliant: RecorderState = {
  recorder: {
    name: 'default',
    roleArn: ROLE,
    recordingGroup: { allSupported: true, includeGlobalResourceTypes: true, resourceTypes: [], excludedResourceTypes: [] },
    recordingMode: null,
  },
  recording: true,
  lastStatus: { status: 'Success', errorCode: null, errorMessage: null },
  channel: {
    name: 'default',
    s3BucketName: BUCKET,
    s3KeyPrefix: 'config',
    snsTopicArn: null,
    deliveryFrequency: null,
    s3KmsKeyArn: null,
  },
};
const withRecorder = (over: Partial<NonNullable<RecorderState['recorder']>>): RecorderState => ({
  ...compliant,
  recorder: { ...(compliant.recorder as NonNullable<RecorderState['recorder']>), ...over },
});
const group = (over: Record<string, unknown>) => ({
  allSupported: false,
  includeGlobalResourceTypes: false,
  resourceTypes: [] as string[],
  excludedResourceTypes: [] as string[],
  ...over,
});
const properties = (s: RecorderState, d = desired()) => diffRecorder(s, d).map((x) => x.property);

describe('config-recorder policy section', () => {
  it('applies the defaults: remediate, recorder "default", all supported types', () => {
    expect(policy()).toMatchObject({ mode: 'remediate', recorderName: 'default', allSupported: true });
  });

  it('names the field of each mistake', () => {
    const issues = (doc: Record<string, unknown>) => {
      const r = configRecorderPolicySchema.safeParse(doc);
      return r.success ? [] : r.error.issues.map((i) => i.path.join('.'));
    };
    const base = { roleArn: ROLE, deliveryChannel: { bucketName: BUCKET } };
    expect(issues({ ...base, resourceTypes: ['AWS::EC2::Instance'] })).toEqual(['resourceTypes']);
    expect(issues({ ...base, allSupported: false })).toEqual(['resourceTypes']);
    expect(issues({ deliveryChannel: { bucketName: BUCKET } })).toEqual(['roleArn']);
    expect(issues({ ...base, roleArn: 'arn:aws:iam::*:role/x' })).toEqual(['roleArn']);
    expect(issues({ ...base, deliveryChannel: { bucketName: 'Bad_Bucket' } })).toEqual(['deliveryChannel.bucketName']);
    expect(issues({ ...base, deliveryChannel: { bucketName: BUCKET, keyPrefix: 'AWSLogs' } })).toEqual([
      'deliveryChannel.keyPrefix',
    ]);
    expect(issues({ ...base, recorderName: 'AWSConfigurationRecorderForX' })).toEqual(['recorderName']);
    expect(issues({ ...base, recordAll: true })).toEqual(['']);
    expect(issues({ ...base, deliveryChannel: { bucketName: BUCKET, frequency: 'One_Hour' } })).toEqual(['deliveryChannel']);
  });

  it('accepts {account} and {region} templates where a fleet needs them', () => {
    expect(
      policy({
        deliveryChannel: { bucketName: 'config-{account}-{region}', snsTopicArn: 'arn:aws:sns:{region}:{account}:config-stream' },
      }).deliveryChannel,
    ).toEqual({ bucketName: 'config-{account}-{region}', snsTopicArn: 'arn:aws:sns:{region}:{account}:config-stream' });
  });
});

describe('config-recorder events', () => {
  it('every event of a governed region points at the region recorder, named by the policy', () => {
    for (const eventName of RECORDER_EVENTS) {
      const sample = RECORDER_EVENT_SAMPLE.perEvent?.[eventName] ?? RECORDER_EVENT_SAMPLE;
      expect(refsFromEvent(detail(eventName, sample.requestParameters), policy(), where)).toEqual({
        refs: [
          { type: 'AWS::Config::ConfigurationRecorder', id: 'default', arn: null, region: 'us-east-1', account: where.account },
        ],
      });
    }
  });

  it('a recorder with another name is the same region recorder (one per region)', () => {
    const r = refsFromEvent(detail('StopConfigurationRecorder', { configurationRecorderName: 'legacy' }), policy(), where);
    expect(r).toMatchObject({ refs: [{ id: 'default' }] });
  });

  it('an event for a region outside config-recorder.regions is ignored with the reason', () => {
    const r = refsFromEvent(
      detail('StopConfigurationRecorder', { configurationRecorderName: 'default' }, 'eu-west-1'),
      policy({ regions: ['us-east-1'] }),
      { ...where, region: 'eu-west-1' },
    );
    expect(r).toEqual({
      ignore: "the configuration recorder is not governed in eu-west-1 (not in the policy's config-recorder.regions)",
    });
  });

  it('service-linked recorders are left to the service that owns them', () => {
    const name = 'AWSConfigurationRecorderForSecurityHub';
    expect(
      refsFromEvent(detail('StopConfigurationRecorder', { configurationRecorderName: name }), policy(), where),
    ).toMatchObject({
      ignore: expect.stringContaining('service-linked recorder'),
      resource: { id: name },
    });
    expect(refFromName(name, policy(), where)).toMatchObject({ ignore: expect.stringContaining('service-linked') });
  });

  it('malformed records are ignored with the reason, never thrown', () => {
    expect(refsFromEvent(detail('StopConfigurationRecorder', null), policy(), where)).toEqual({
      ignore: 'StopConfigurationRecorder event without requestParameters; cannot tell which recorder',
    });
    expect(refsFromEvent(detail('PutConfigurationRecorder', { configurationRecorder: 'default' }), policy(), where)).toEqual({
      ignore: 'PutConfigurationRecorder event without a valid requestParameters.configurationRecorder.name',
    });
    expect(refsFromEvent(detail('PutDeliveryChannel', { deliveryChannel: [{ name: 'x' }] }), policy(), where)).toMatchObject({
      ignore: expect.stringContaining('deliveryChannel.name'),
    });
    expect(refsFromEvent(detail('DeleteDeliveryChannel', { deliveryChannelName: 'a b/c' }), policy(), where)).toMatchObject({
      ignore: expect.stringContaining('deliveryChannelName'),
    });
    expect(refsFromEvent(detail('StartConfigurationRecorder', { configurationRecorderName: 'x' }), policy(), where)).toEqual({
      ignore: 'the config-recorder guardrail does not handle StartConfigurationRecorder',
    });
  });
});

describe('config-recorder desired state', () => {
  it('fills {account} and {region}; the home region records the global types, the others do not', () => {
    const d = desired({
      deliveryChannel: { bucketName: 'config-{account}-{region}', snsTopicArn: 'arn:aws:sns:{region}:{account}:t' },
    });
    expect(d).toMatchObject({
      roleArn: ROLE,
      globalsHere: true,
      recording: { kind: 'all', includeGlobalResourceTypes: true },
      channel: { s3BucketName: 'config-123456789012-us-east-1', snsTopicArn: 'arn:aws:sns:us-east-1:123456789012:t' },
    });
    expect(desired({}, 'eu-west-1')).toMatchObject({
      globalsHere: false,
      recording: { kind: 'all', includeGlobalResourceTypes: false },
    });
    expect(desired({ globalResourceTypesRegion: undefined })).toMatchObject({ globalsHere: null });
  });

  it('a list leaves the global types out outside their home region', () => {
    const types = ['AWS::EC2::VPC', 'AWS::IAM::Role'];
    expect(desired({ allSupported: false, resourceTypes: types }).recording).toEqual({ kind: 'list', resourceTypes: types });
    expect(desired({ allSupported: false, resourceTypes: types }, 'eu-west-1').recording).toEqual({
      kind: 'list',
      resourceTypes: ['AWS::EC2::VPC'],
    });
  });
});

describe('config-recorder diff', () => {
  it('a recorder as the policy wants is compliant; a pending status too', () => {
    expect(diffRecorder(compliant, desired())).toEqual([]);
    expect(
      diffRecorder({ ...compliant, lastStatus: { status: 'PENDING', errorCode: null, errorMessage: null } }, desired()),
    ).toEqual([]);
  });

  it('no recorder: recorderExists (and the channel as it is)', () => {
    expect(diffRecorder({ ...compliant, recorder: null, recording: false, lastStatus: null }, desired())).toEqual([
      { property: 'recorderExists', observed: false, desired: true },
    ]);
  });

  it('not recording', () => {
    expect(properties({ ...compliant, recording: false })).toEqual(['recording']);
  });

  it('allSupported wanted: a list or an exclusion narrows; the global types off in the home region narrow', () => {
    expect(properties(withRecorder({ recordingGroup: group({ resourceTypes: ['AWS::EC2::Instance'] }) }))).toEqual([
      'recordingGroup',
    ]);
    expect(properties(withRecorder({ recordingGroup: group({ excludedResourceTypes: ['AWS::EC2::Instance'] }) }))).toEqual([
      'recordingGroup',
    ]);
    const noGlobals = withRecorder({ recordingGroup: group({ allSupported: true, includeGlobalResourceTypes: false }) });
    expect(diffRecorder(noGlobals, desired())).toEqual([
      {
        property: 'recordingGroup',
        observed: {
          allSupported: true,
          includeGlobalResourceTypes: false,
          narrowed: 'does not record the global IAM types in their home region',
        },
        desired: { allSupported: true, includeGlobalResourceTypes: true },
      },
    ]);
    // Not governed without a home region.
    expect(diffRecorder(noGlobals, desired({ globalResourceTypesRegion: undefined }))).toEqual([]);
  });

  it('a list wanted: a missing type narrows; a broader recorder is compliant', () => {
    const d = desired({ allSupported: false, resourceTypes: ['AWS::EC2::VPC', 'AWS::S3::Bucket'] });
    expect(diffRecorder(withRecorder({ recordingGroup: group({ resourceTypes: ['AWS::EC2::VPC'] }) }), d)).toMatchObject([
      { property: 'recordingGroup', observed: { narrowed: 'does not record AWS::S3::Bucket' } },
    ]);
    expect(
      diffRecorder(
        withRecorder({ recordingGroup: group({ resourceTypes: ['AWS::S3::Bucket', 'AWS::EC2::VPC', 'AWS::EC2::Subnet'] }) }),
        d,
      ),
    ).toEqual([]);
    expect(diffRecorder(compliant, d)).toEqual([]);
    expect(diffRecorder(withRecorder({ recordingGroup: group({ excludedResourceTypes: ['AWS::EC2::Subnet'] }) }), d)).toEqual([]);
    expect(properties(withRecorder({ recordingGroup: group({ excludedResourceTypes: ['AWS::S3::Bucket'] }) }), d)).toEqual([
      'recordingGroup',
    ]);
  });

  it('outside the home region, recording the global types is drift', () => {
    const d = desired({}, 'eu-west-1');
    expect(properties(compliant, d)).toEqual(['globalResourceTypes']);
    expect(diffRecorder(withRecorder({ recordingGroup: group({ allSupported: true }) }), d)).toEqual([]);
    const listed = desired({ allSupported: false, resourceTypes: ['AWS::EC2::VPC'] }, 'eu-west-1');
    expect(
      properties(withRecorder({ recordingGroup: group({ resourceTypes: ['AWS::EC2::VPC', 'AWS::IAM::User'] }) }), listed),
    ).toEqual(['globalResourceTypes']);
  });

  it('another role', () => {
    expect(diffRecorder(withRecorder({ roleArn: 'arn:aws:iam::123456789012:role/no-permissions' }), desired())).toEqual([
      { property: 'roleArn', observed: 'arn:aws:iam::123456789012:role/no-permissions', desired: ROLE },
    ]);
  });

  it('the delivery channel: missing, moved; fields the policy leaves out are not compared', () => {
    expect(properties({ ...compliant, channel: null })).toEqual(['deliveryChannel']);
    const moved = {
      ...compliant,
      channel: {
        ...(compliant.channel as NonNullable<RecorderState['channel']>),
        s3BucketName: 'elsewhere',
        snsTopicArn: 'arn:aws:sns:us-east-1:1:t',
      },
    };
    expect(diffRecorder(moved, desired())).toEqual([
      { property: 'deliveryChannel.s3BucketName', observed: 'elsewhere', desired: BUCKET },
    ]);
    const noPrefix = {
      ...compliant,
      channel: { ...(compliant.channel as NonNullable<RecorderState['channel']>), s3KeyPrefix: null },
    };
    expect(properties(noPrefix)).toEqual(['deliveryChannel.s3KeyPrefix']);
    expect(properties(noPrefix, desired({ deliveryChannel: { bucketName: BUCKET } }))).toEqual([]);
    expect(properties(compliant, desired({ deliveryChannel: { bucketName: BUCKET, deliveryFrequency: 'One_Hour' } }))).toEqual([
      'deliveryChannel.deliveryFrequency',
    ]);
  });

  it('a failed last delivery is drift, with the error', () => {
    const failing = { ...compliant, lastStatus: { status: 'Failure', errorCode: 'AccessDenied', errorMessage: 'bucket policy' } };
    expect(diffRecorder(failing, desired())).toEqual([
      {
        property: 'lastStatus',
        observed: { lastStatus: 'Failure', errorCode: 'AccessDenied', errorMessage: 'bucket policy' },
        desired: 'SUCCESS',
      },
    ]);
  });
});

describe('config-recorder plan', () => {
  const plan = (s: RecorderState, d = desired()) => planRecorder(s, d, diffRecorder(s, d));

  it('no recorder: create it from the policy under its name, then start; the channel is kept', () => {
    const steps = plan({ ...compliant, recorder: null, recording: false });
    expect(steps.map((s) => s.api)).toEqual(['config:PutConfigurationRecorder', 'config:StartConfigurationRecorder']);
    expect(steps[0]).toMatchObject({
      recorder: {
        name: 'default',
        roleArn: ROLE,
        recordingGroup: { allSupported: true, includeGlobalResourceTypes: true, resourceTypes: [], excludedResourceTypes: [] },
      },
    });
  });

  it('in the order AWS requires: recorder, channel, start', () => {
    const s: RecorderState = { recorder: null, recording: false, lastStatus: null, channel: null };
    expect(plan(s).map((x) => x.api)).toEqual([
      'config:PutConfigurationRecorder',
      'config:PutDeliveryChannel',
      'config:StartConfigurationRecorder',
    ]);
  });

  it('stopped: only start, the adopted recorder by its own name', () => {
    expect(plan({ ...withRecorder({ name: 'legacy' }), recording: false })).toEqual([
      { api: 'config:StartConfigurationRecorder', description: 'start recorder legacy', recorderName: 'legacy' },
    ]);
  });

  it('channel gone while stopped: channel, then start', () => {
    const steps = plan({ ...compliant, recording: false, channel: null });
    expect(steps.map((s) => s.api)).toEqual(['config:PutDeliveryChannel', 'config:StartConfigurationRecorder']);
    expect(steps[0]).toMatchObject({ channel: { name: 'default', s3BucketName: BUCKET, s3KeyPrefix: 'config' } });
  });

  it('a role change rewrites the role and keeps the observed (broader) group and recording mode', () => {
    const broader = group({ resourceTypes: ['AWS::EC2::VPC', 'AWS::S3::Bucket'] });
    const d = desired({ allSupported: false, resourceTypes: ['AWS::EC2::VPC'] });
    const mode = { recordingFrequency: 'DAILY' };
    const [step, ...rest] = plan(
      withRecorder({ roleArn: 'arn:aws:iam::1:role/x', recordingGroup: broader, recordingMode: mode }),
      d,
    );
    expect(rest).toEqual([]);
    expect(step).toMatchObject({
      api: 'config:PutConfigurationRecorder',
      recorder: { roleArn: ROLE, recordingGroup: broader, recordingMode: mode },
    });
  });

  it('a narrowed group is written back as the policy group of this region', () => {
    const d = desired({ allSupported: false, resourceTypes: ['AWS::EC2::VPC', 'AWS::IAM::Role'] }, 'eu-west-1');
    const [step] = plan(withRecorder({ recordingGroup: group({ resourceTypes: ['AWS::EC2::Subnet'] }) }), d);
    expect(step).toMatchObject({ recorder: { recordingGroup: { allSupported: false, resourceTypes: ['AWS::EC2::VPC'] } } });
  });

  it('a moved channel keeps what the policy does not govern (topic, frequency, KMS key) and its own name', () => {
    const channel = {
      name: 'corp',
      s3BucketName: 'elsewhere',
      s3KeyPrefix: 'x',
      snsTopicArn: 'arn:aws:sns:us-east-1:123456789012:t',
      deliveryFrequency: 'One_Hour',
      s3KmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/k',
    };
    expect(plan({ ...compliant, channel })).toEqual([
      {
        api: 'config:PutDeliveryChannel',
        description: `deliver to s3://${BUCKET} again`,
        channel: { ...channel, s3BucketName: BUCKET, s3KeyPrefix: 'config' },
      },
    ]);
  });

  it('a failing status alone: nothing to write, reported only with the error', () => {
    const failing = { ...compliant, lastStatus: { status: 'Failure', errorCode: 'AccessDenied', errorMessage: 'no' } };
    const drift = diffRecorder(failing, desired());
    expect(planRecorder(failing, desired(), drift)).toEqual([]);
    expect(reportOnlyReason(failing, drift)).toMatch(/^the recorder's last delivery failed \(AccessDenied: no\)/);
  });

  it('a failing status with fixable drift is remediated (not report-only)', () => {
    const failing = { ...compliant, recording: false, lastStatus: { status: 'Failure', errorCode: 'X', errorMessage: null } };
    expect(reportOnlyReason(failing, diffRecorder(failing, desired()))).toBeNull();
    expect(reportOnlyReason(compliant, [])).toBeNull();
  });
});
