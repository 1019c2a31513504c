import {
  ConfigServiceClient,
  type ConfigurationRecorder,
  type DeliveryChannel,
  DescribeConfigurationRecorderStatusCommand,
  type DescribeConfigurationRecorderStatusCommandOutput,
  DescribeConfigurationRecordersCommand,
  DescribeDeliveryChannelsCommand,
  type MaximumExecutionFrequency,
  PutConfigurationRecorderCommand,
  PutDeliveryChannelCommand,
  type RecordingMode,
  type RecordingGroup as SdkRecordingGroup,
  StartConfigurationRecorderCommand,
} from '@aws-sdk/client-config-service';
import { errorCode, errorMessage, RemediationError } from '../core/errors.js';
import type { Observation, Scope } from '../core/types.js';
import type {
  ChannelInput,
  ChannelState,
  DesiredRecorder,
  LastStatus,
  RecorderInput,
  RecorderSettings,
  RecorderState,
  RecorderStep,
  RecordingGroup,
} from './diff.js';
import { isServiceLinkedName, type RecorderRef } from './events.js';
import type { ConfigRecorderPolicy } from './policy.js';

const RUNBOOK = 'runbooks/config-recorder.md';

type ConfigClient = ConfigServiceClient;
const client = (scope: Scope<ConfigRecorderPolicy>, region: string): ConfigClient =>
  scope.clients.get(ConfigServiceClient, region);

/** A customer-managed recorder: service-linked ones (another AWS service's) are never governed. */
const isCustomerManaged = (r: ConfigurationRecorder) => !!r.name && !r.servicePrincipal && !isServiceLinkedName(r.name);

function groupOf(g: SdkRecordingGroup | undefined): RecordingGroup {
  // No group reported: AWS's default, every supported type without the global ones.
  const allSupported = g ? g.allSupported === true : true;
  return {
    allSupported,
    includeGlobalResourceTypes: g?.includeGlobalResourceTypes === true,
    resourceTypes: allSupported ? [] : [...(g?.resourceTypes ?? [])],
    excludedResourceTypes: allSupported ? [] : [...(g?.exclusionByResourceTypes?.resourceTypes ?? [])],
  };
}

/**
 * The region's customer-managed recorder: the one named `preferred` when it exists, else the only
 * other one (adopted: AWS allows one per region, whatever its name), else null.
 */
async function readRecorder(cfg: ConfigClient, preferred: string): Promise<RecorderSettings | null> {
  const out = await cfg.send(new DescribeConfigurationRecordersCommand({}));
  const mine = (out.ConfigurationRecorders ?? []).filter(isCustomerManaged);
  const r = mine.find((x) => x.name === preferred) ?? mine[0];
  if (!r?.name) return null;
  return {
    name: r.name,
    roleArn: r.roleARN ?? null,
    recordingGroup: groupOf(r.recordingGroup),
    recordingMode: r.recordingMode ?? null,
  };
}

/** Recording and last status of the named recorder, from DescribeConfigurationRecorderStatus. */
function statusOf(
  out: DescribeConfigurationRecorderStatusCommandOutput,
  name: string | null,
): { recording: boolean; lastStatus: LastStatus | null } {
  const s = name === null ? undefined : (out.ConfigurationRecordersStatus ?? []).find((x) => x.name === name);
  const lastStatus = s?.lastStatus
    ? { status: s.lastStatus, errorCode: s.lastErrorCode ?? null, errorMessage: s.lastErrorMessage ?? null }
    : null;
  return { recording: s?.recording === true, lastStatus };
}

const readStatuses = (cfg: ConfigClient) => cfg.send(new DescribeConfigurationRecorderStatusCommand({}));

function channelOf(c: DeliveryChannel): ChannelState {
  return {
    name: c.name ?? 'default',
    s3BucketName: c.s3BucketName || null,
    s3KeyPrefix: c.s3KeyPrefix || null,
    snsTopicArn: c.snsTopicARN || null,
    deliveryFrequency: c.configSnapshotDeliveryProperties?.deliveryFrequency ?? null,
    s3KmsKeyArn: c.s3KmsKeyArn || null,
  };
}

async function readChannel(cfg: ConfigClient): Promise<ChannelState | null> {
  const out = await cfg.send(new DescribeDeliveryChannelsCommand({}));
  const [first] = out.DeliveryChannels ?? [];
  return first ? channelOf(first) : null;
}

/**
 * To decide: the recorders, their status and the delivery channels, in parallel (three reads; the
 * status is read for every recorder, as the name is only known once the recorders are). To verify:
 * only what the writes change; the last status is not judged then (it reports an attempt made
 * before the writes: the next read judges it).
 */
export async function observeRecorder(
  ref: RecorderRef,
  scope: Scope<ConfigRecorderPolicy>,
  observation: Observation<RecorderState, RecorderStep> = { purpose: 'decide' },
): Promise<RecorderState> {
  const cfg = client(scope, ref.region);
  if (observation.purpose === 'verify') return reread(cfg, ref, observation.before, observation.steps);
  const [recorder, statuses, channel] = await Promise.all([readRecorder(cfg, ref.id), readStatuses(cfg), readChannel(cfg)]);
  return { recorder, ...statusOf(statuses, recorder?.name ?? null), channel };
}

async function reread(
  cfg: ConfigClient,
  ref: RecorderRef,
  before: RecorderState,
  steps: readonly RecorderStep[],
): Promise<RecorderState> {
  const apis = new Set(steps.map((s) => s.api));
  const [recorder, channel] = await Promise.all([
    apis.has('config:PutConfigurationRecorder') ? readRecorder(cfg, before.recorder?.name ?? ref.id) : before.recorder,
    apis.has('config:PutDeliveryChannel') ? readChannel(cfg) : before.channel,
  ]);
  const recording = apis.has('config:StartConfigurationRecorder')
    ? statusOf(await readStatuses(cfg), recorder?.name ?? null).recording
    : before.recording;
  return { recorder, recording, lastStatus: null, channel };
}

function sdkGroup(g: RecordingGroup): SdkRecordingGroup {
  if (g.allSupported) {
    return {
      allSupported: true,
      includeGlobalResourceTypes: g.includeGlobalResourceTypes,
      recordingStrategy: { useOnly: 'ALL_SUPPORTED_RESOURCE_TYPES' },
    };
  }
  if (g.excludedResourceTypes.length > 0) {
    return {
      allSupported: false,
      includeGlobalResourceTypes: false,
      exclusionByResourceTypes: { resourceTypes: g.excludedResourceTypes as never[] },
      recordingStrategy: { useOnly: 'EXCLUSION_BY_RESOURCE_TYPES' },
    };
  }
  return {
    allSupported: false,
    includeGlobalResourceTypes: false,
    resourceTypes: g.resourceTypes as never[],
    recordingStrategy: { useOnly: 'INCLUSION_BY_RESOURCE_TYPES' },
  };
}

/**
 * AWS Config's answers that a retry cannot fix (a person must act on the role, the bucket or the
 * topic), and those that a concurrent change explains (a retry re-reads and converges).
 */
const TERMINAL: Readonly<Record<string, string>> = {
  InvalidRoleException: 'AWS Config refuses the policy role (missing, or not assumable by config.amazonaws.com)',
  InsufficientPermissionsException: 'the policy role lacks the permissions AWS Config needs',
  NoSuchBucketException: 'the policy bucket does not exist',
  InsufficientDeliveryPolicyException: "the bucket policy does not let AWS Config write to the policy's bucket and prefix",
  InvalidS3KeyPrefixException: 'AWS Config refuses the policy key prefix',
  InvalidS3KmsKeyArnException: "AWS Config refuses the channel's KMS key",
  InvalidSNSTopicARNException: 'AWS Config refuses the policy SNS topic',
  InvalidRecordingGroupException: 'AWS Config refuses the recording group',
  InvalidDeliveryFrequency: 'AWS Config refuses the delivery frequency',
};
const CONCURRENT: Readonly<Record<string, string>> = {
  MaxNumberOfConfigurationRecordersExceededException: 'another recorder was created in the region meanwhile',
  MaxNumberOfDeliveryChannelsExceededException: 'another delivery channel was created in the region meanwhile',
  NoAvailableConfigurationRecorderException: 'the recorder was deleted meanwhile',
  NoAvailableDeliveryChannelException: 'the delivery channel was deleted meanwhile',
  NoSuchConfigurationRecorderException: 'the recorder was deleted meanwhile',
};

/** An SDK error of a write as a typed error naming the cause and the runbook; anything else unchanged. */
function classifyWriteError(error: unknown): unknown {
  const code = errorCode(error);
  const terminal = TERMINAL[code];
  if (terminal)
    return new RemediationError(code, `${terminal}: ${errorMessage(error)} (see ${RUNBOOK})`, false, { cause: error });
  const concurrent = CONCURRENT[code];
  if (concurrent) {
    const message = `${concurrent}; a retry reads the region again and converges: ${errorMessage(error)}`;
    return new RemediationError(code, message, true, { cause: error });
  }
  return error;
}

function recorderCommand(r: RecorderInput) {
  return new PutConfigurationRecorderCommand({
    ConfigurationRecorder: {
      name: r.name,
      roleARN: r.roleArn,
      recordingGroup: sdkGroup(r.recordingGroup),
      // Not governed: sent back as it was, so a rewrite never changes the recording frequency.
      ...(r.recordingMode ? { recordingMode: r.recordingMode as RecordingMode } : {}),
    },
  });
}

function channelCommand(c: ChannelInput) {
  return new PutDeliveryChannelCommand({
    DeliveryChannel: {
      name: c.name,
      s3BucketName: c.s3BucketName,
      s3KeyPrefix: c.s3KeyPrefix ?? undefined,
      snsTopicARN: c.snsTopicArn ?? undefined,
      s3KmsKeyArn: c.s3KmsKeyArn ?? undefined,
      configSnapshotDeliveryProperties: c.deliveryFrequency
        ? { deliveryFrequency: c.deliveryFrequency as MaximumExecutionFrequency }
        : undefined,
    },
  });
}

/** Make one write. Every one is idempotent: a retried or repeated call leaves the same state. */
export async function applyRecorderStep(
  step: RecorderStep,
  ref: RecorderRef,
  _d: DesiredRecorder,
  scope: Scope<ConfigRecorderPolicy>,
): Promise<void> {
  const cfg = client(scope, ref.region);
  try {
    switch (step.api) {
      case 'config:PutConfigurationRecorder':
        await cfg.send(recorderCommand(step.recorder));
        return;
      case 'config:PutDeliveryChannel':
        await cfg.send(channelCommand(step.channel));
        return;
      case 'config:StartConfigurationRecorder':
        await cfg.send(new StartConfigurationRecorderCommand({ ConfigurationRecorderName: step.recorderName }));
        return;
    }
  } catch (error) {
    throw classifyWriteError(error);
  }
}
