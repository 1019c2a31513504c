import {
  ConfigServiceClient,
  type ConfigurationRecorder,
  DescribeConfigurationRecorderStatusCommand,
  DescribeConfigurationRecordersCommand,
  DescribeDeliveryChannelsCommand,
  PutConfigurationRecorderCommand,
  PutDeliveryChannelCommand,
  StartConfigurationRecorderCommand,
} from '@aws-sdk/client-config-service';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { apiCallEvent } from '../../cli/events.js';
import { configRecorder } from '../../controllers/config-recorder/index.js';
import { AwsClients } from '../../controllers/core/aws.js';
import { Controller } from '../../controllers/core/controller.js';
import { parsePolicy } from '../../controllers/core/policy.js';
import { CONFIG_BUCKET, RECORDER_ROLE, recorderPolicy } from '../helpers/config-recorder.js';
import { ACCOUNT, CREDENTIALS, quietLogger, REGION } from '../helpers/emulator.js';
import { policyWith } from '../helpers/policy.js';

// These paths are not modelled by the emulator (moto 5.2.5): a recorder whose last delivery failed
// (moto never delivers, its status stays PENDING), service-linked recorders (moto has none), the
// recording mode (moto drops it), exclusion lists read back as AWS reports them, and the errors AWS
// Config raises for a missing or closed bucket, a bad role, or a recorder created concurrently.

const cfgMock = mockClient(ConfigServiceClient);

function controller(section: Record<string, unknown> = recorderPolicy()) {
  return new Controller({
    guardrails: [configRecorder],
    policy: parsePolicy(policyWith({ 'config-recorder': section }), [configRecorder]),
    account: ACCOUNT,
    clients: new AwsClients({ credentials: CREDENTIALS, maxAttempts: 1 }),
    logger: quietLogger(),
  });
}

const stop = () =>
  apiCallEvent({
    account: ACCOUNT,
    region: REGION,
    eventSource: 'config.amazonaws.com',
    eventName: 'StopConfigurationRecorder',
    requestParameters: { configurationRecorderName: 'default' },
  });

const sdkError = (name: string, message = name) =>
  Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });

/** A recorder as AWS reports it, recording everything with the global types (as the test policy wants). */
const awsRecorder = (over: Partial<ConfigurationRecorder> = {}): ConfigurationRecorder => ({
  arn: `arn:aws:config:${REGION}:${ACCOUNT}:configuration-recorder/default/abcd1234`,
  name: 'default',
  roleARN: RECORDER_ROLE,
  recordingGroup: {
    allSupported: true,
    includeGlobalResourceTypes: true,
    exclusionByResourceTypes: { resourceTypes: [] },
    resourceTypes: [],
    recordingStrategy: { useOnly: 'ALL_SUPPORTED_RESOURCE_TYPES' },
  },
  recordingMode: { recordingFrequency: 'CONTINUOUS', recordingModeOverrides: [] },
  recordingScope: 'PAID',
  ...over,
});

/** The AWS answers for a region: its recorders, their status, its channel. */
function region(
  opts: { recorders?: ConfigurationRecorder[]; recording?: boolean; lastStatus?: 'Success' | 'Failure' | 'Pending' } = {},
) {
  const recorders = opts.recorders ?? [awsRecorder()];
  cfgMock.on(DescribeConfigurationRecordersCommand).resolves({ ConfigurationRecorders: recorders });
  cfgMock.on(DescribeConfigurationRecorderStatusCommand).resolves({
    ConfigurationRecordersStatus: recorders.map((r) => ({
      name: r.name,
      recording: r.servicePrincipal ? true : (opts.recording ?? true),
      lastStatus: opts.lastStatus ?? 'Success',
      ...(opts.lastStatus === 'Failure'
        ? { lastErrorCode: 'AccessDenied', lastErrorMessage: 'Access Denied writing to s3://central-config/config' }
        : {}),
    })),
  });
  cfgMock.on(DescribeDeliveryChannelsCommand).resolves({
    DeliveryChannels: [
      {
        name: 'default',
        s3BucketName: CONFIG_BUCKET,
        s3KeyPrefix: 'config',
        configSnapshotDeliveryProperties: { deliveryFrequency: 'Six_Hours' },
      },
    ],
  });
}

beforeEach(() => {
  cfgMock.reset();
});

describe('config-recorder on AWS answers the emulator does not give', () => {
  it('a failing recorder whose settings match the policy is reported with the error, nothing written', async () => {
    region({ lastStatus: 'Failure' });
    const [record] = await controller().handleEvent(stop());
    expect(record).toMatchObject({
      outcome: 'drift-detected',
      mode: 'notify',
      drift: [
        {
          property: 'lastStatus',
          observed: {
            lastStatus: 'Failure',
            errorCode: 'AccessDenied',
            errorMessage: 'Access Denied writing to s3://central-config/config',
          },
        },
      ],
      actions: [],
    });
    expect(record?.reason).toContain("reported only: the recorder's last delivery failed (AccessDenied: Access Denied writing");
    expect(cfgMock.commandCalls(PutConfigurationRecorderCommand)).toHaveLength(0);
    expect(cfgMock.commandCalls(StartConfigurationRecorderCommand)).toHaveLength(0);
  });

  it('a failing recorder that was also stopped is started; the status is judged on the next read, not in the verification', async () => {
    region({ lastStatus: 'Failure', recording: false });
    cfgMock.on(StartConfigurationRecorderCommand).callsFake(() => {
      region({ lastStatus: 'Failure', recording: true });
      return {};
    });
    const [record] = await controller().handleEvent(stop());
    expect(record).toMatchObject({
      outcome: 'remediated',
      verified: true,
      actions: [{ api: 'config:StartConfigurationRecorder' }],
    });
    expect(record?.drift.map((d) => d.property)).toEqual(['recording', 'lastStatus']);
  });

  it('service-linked recorders are neither governed nor adopted; the customer one is created beside them', async () => {
    const linked = awsRecorder({
      name: 'AWSConfigurationRecorderForSecurityHub',
      servicePrincipal: 'securityhub.amazonaws.com',
      arn: `arn:aws:config:${REGION}:${ACCOUNT}:configuration-recorder/AWSConfigurationRecorderForSecurityHub/x`,
    });
    region({ recorders: [linked] });
    cfgMock.on(PutConfigurationRecorderCommand).resolves({});
    cfgMock.on(StartConfigurationRecorderCommand).callsFake(() => {
      region({ recorders: [linked, awsRecorder()] });
      return {};
    });
    const [record] = await controller().handleEvent(stop());
    expect(record).toMatchObject({ outcome: 'remediated', drift: [{ property: 'recorderExists', observed: false }] });
    expect(cfgMock.commandCalls(PutConfigurationRecorderCommand)[0]?.args[0].input.ConfigurationRecorder).toMatchObject({
      name: 'default',
      roleARN: RECORDER_ROLE,
      recordingGroup: {
        allSupported: true,
        includeGlobalResourceTypes: true,
        recordingStrategy: { useOnly: 'ALL_SUPPORTED_RESOURCE_TYPES' },
      },
    });
    expect(cfgMock.commandCalls(StartConfigurationRecorderCommand)[0]?.args[0].input).toEqual({
      ConfigurationRecorderName: 'default',
    });
  });

  it('a role rewrite sends the recording mode back unchanged', async () => {
    const daily = { recordingFrequency: 'DAILY' as const, recordingModeOverrides: [] };
    region({ recorders: [awsRecorder({ roleARN: `arn:aws:iam::${ACCOUNT}:role/other`, recordingMode: daily })] });
    cfgMock.on(PutConfigurationRecorderCommand).callsFake(() => {
      region({ recorders: [awsRecorder({ recordingMode: daily })] });
      return {};
    });
    const [record] = await controller().handleEvent(stop());
    expect(record).toMatchObject({ outcome: 'remediated', drift: [{ property: 'roleArn' }] });
    expect(cfgMock.commandCalls(PutConfigurationRecorderCommand)[0]?.args[0].input.ConfigurationRecorder).toMatchObject({
      roleARN: RECORDER_ROLE,
      recordingMode: daily,
    });
  });

  it('an exclusion list as AWS reports it is narrowing when the policy wants everything', async () => {
    const excluding = awsRecorder({
      recordingGroup: {
        allSupported: false,
        includeGlobalResourceTypes: false,
        resourceTypes: [],
        exclusionByResourceTypes: { resourceTypes: ['AWS::EC2::Instance'] },
        recordingStrategy: { useOnly: 'EXCLUSION_BY_RESOURCE_TYPES' },
      },
    });
    region({ recorders: [excluding] });
    const [record] = await controller(recorderPolicy({ mode: 'notify' })).handleEvent(stop());
    expect(record).toMatchObject({
      outcome: 'drift-detected',
      drift: [
        { property: 'recordingGroup', observed: { allSupported: false, exclusionByResourceTypes: ['AWS::EC2::Instance'] } },
      ],
    });
  });

  it('a missing bucket is a failed record naming the cause and the runbook, not retried', async () => {
    region();
    cfgMock.on(DescribeDeliveryChannelsCommand).resolves({ DeliveryChannels: [] });
    cfgMock
      .on(PutDeliveryChannelCommand)
      .rejects(sdkError('NoSuchBucketException', 'Cannot find a S3 bucket with an empty bucket name.'));
    const [record] = await controller().handleEvent(stop());
    expect(record).toMatchObject({
      outcome: 'failed',
      retryable: false,
      actions: [{ api: 'config:PutDeliveryChannel', ok: false }],
    });
    expect(record?.reason).toMatch(
      /^config:PutDeliveryChannel failed: NoSuchBucketException: the policy bucket does not exist: .*runbooks\/config-recorder.md/,
    );
  });

  it('a bucket policy that refuses Config is terminal too', async () => {
    region();
    cfgMock.on(DescribeDeliveryChannelsCommand).resolves({ DeliveryChannels: [] });
    cfgMock.on(PutDeliveryChannelCommand).rejects(sdkError('InsufficientDeliveryPolicyException'));
    const [record] = await controller().handleEvent(stop());
    expect(record).toMatchObject({ outcome: 'failed', retryable: false });
    expect(record?.reason).toContain('the bucket policy does not let AWS Config write');
  });

  it('a recorder created by someone else at the same moment: failed, retryable (the retry adopts it)', async () => {
    region({ recorders: [] });
    cfgMock.on(PutConfigurationRecorderCommand).rejects(sdkError('MaxNumberOfConfigurationRecordersExceededException'));
    const [record] = await controller().handleEvent(stop());
    expect(record).toMatchObject({
      outcome: 'failed',
      retryable: true,
      actions: [{ api: 'config:PutConfigurationRecorder', ok: false }],
    });
    expect(record?.reason).toContain('another recorder was created in the region meanwhile');
  });

  it('throttling while reading: failed, retryable; access denied while writing: failed, not retryable', async () => {
    cfgMock.on(DescribeConfigurationRecordersCommand).rejects(sdkError('ThrottlingException', 'Rate exceeded'));
    cfgMock.on(DescribeConfigurationRecorderStatusCommand).resolves({});
    cfgMock.on(DescribeDeliveryChannelsCommand).resolves({});
    const [throttled] = await controller().handleEvent(stop());
    expect(throttled).toMatchObject({ outcome: 'failed', retryable: true });

    cfgMock.reset();
    region({ recording: false });
    cfgMock.on(StartConfigurationRecorderCommand).rejects(sdkError('AccessDeniedException', 'denied by an SCP'));
    const [denied] = await controller().handleEvent(stop());
    expect(denied).toMatchObject({ outcome: 'failed', retryable: false });
    expect(denied?.reason).toBe('config:StartConfigurationRecorder failed: AccessDeniedException: denied by an SCP');
  });
});
