import {
  ConfigServiceClient,
  DescribeConfigurationRecorderStatusCommand,
  DescribeConfigurationRecordersCommand,
  DescribeDeliveryChannelsCommand,
  PutConfigurationRecorderCommand,
  PutDeliveryChannelCommand,
  StartConfigurationRecorderCommand,
} from '@aws-sdk/client-config-service';
import { apiCallEvent, type Identity } from '../../cli/events.js';
import type { AwsClients } from '../../controllers/core/aws.js';
import { ACCOUNT, REGION } from './emulator.js';

export const RECORDER_ROLE = `arn:aws:iam::${ACCOUNT}:role/aws-config-recorder`;
export const CONFIG_BUCKET = `central-config-${ACCOUNT}`;

/** The test policy section: everything recorded, global types at home in REGION, a prefix and a frequency. */
export function recorderPolicy(extra: Record<string, unknown> = {}) {
  return {
    mode: 'remediate',
    roleArn: 'arn:aws:iam::{account}:role/aws-config-recorder',
    globalResourceTypesRegion: REGION,
    deliveryChannel: { bucketName: 'central-config-{account}', keyPrefix: 'config', deliveryFrequency: 'Six_Hours' },
    ...extra,
  };
}

export const cfg = (clients: AwsClients, region = REGION) => clients.get(ConfigServiceClient, region);

/** The region's recorders, their status and channels, read back from the emulator. */
export async function readRecording(clients: AwsClients, region = REGION) {
  const c = cfg(clients, region);
  const recorders = (await c.send(new DescribeConfigurationRecordersCommand({}))).ConfigurationRecorders ?? [];
  const statuses = (await c.send(new DescribeConfigurationRecorderStatusCommand({}))).ConfigurationRecordersStatus ?? [];
  const channels = (await c.send(new DescribeDeliveryChannelsCommand({}))).DeliveryChannels ?? [];
  return {
    recorders: recorders.map((r) => ({
      name: r.name,
      roleARN: r.roleARN,
      allSupported: r.recordingGroup?.allSupported,
      includeGlobalResourceTypes: r.recordingGroup?.includeGlobalResourceTypes,
      resourceTypes: r.recordingGroup?.resourceTypes ?? [],
      recording: statuses.find((s) => s.name === r.name)?.recording ?? false,
    })),
    channels: channels.map((ch) => ({
      name: ch.name,
      s3BucketName: ch.s3BucketName,
      s3KeyPrefix: ch.s3KeyPrefix,
      deliveryFrequency: ch.configSnapshotDeliveryProperties?.deliveryFrequency,
    })),
  };
}

/** A recorder made by hand (not by logwarden): name, group, started or not, with or without a channel. */
export async function handMadeRecorder(
  clients: AwsClients,
  opts: { name?: string; types?: string[]; start?: boolean; bucket?: string | null; region?: string } = {},
) {
  const c = cfg(clients, opts.region);
  const name = opts.name ?? 'default';
  const recordingGroup = opts.types
    ? { allSupported: false, includeGlobalResourceTypes: false, resourceTypes: opts.types as never[] }
    : { allSupported: true, includeGlobalResourceTypes: true };
  await c.send(new PutConfigurationRecorderCommand({ ConfigurationRecorder: { name, roleARN: RECORDER_ROLE, recordingGroup } }));
  if (opts.bucket !== null) {
    const bucket = opts.bucket ?? CONFIG_BUCKET;
    await c.send(
      new PutDeliveryChannelCommand({
        DeliveryChannel: {
          name: 'default',
          s3BucketName: bucket,
          s3KeyPrefix: 'config',
          configSnapshotDeliveryProperties: { deliveryFrequency: 'Six_Hours' },
        },
      }),
    );
  }
  if (opts.start) await c.send(new StartConfigurationRecorderCommand({ ConfigurationRecorderName: name }));
  return name;
}

/** A CloudTrail API-call event from config.amazonaws.com (request fields are lowerCamel). */
export function configEvent(
  eventName: string,
  requestParameters: Record<string, unknown> | null,
  opts: { identity?: Identity; errorCode?: string; region?: string } = {},
) {
  return apiCallEvent({
    account: ACCOUNT,
    region: opts.region ?? REGION,
    eventSource: 'config.amazonaws.com',
    eventName,
    requestParameters,
    responseElements: null,
    identity: opts.identity,
    errorCode: opts.errorCode,
  });
}
