import {
  ConfigServiceClient,
  DeleteConfigurationRecorderCommand,
  DeleteDeliveryChannelCommand,
  DescribeConfigurationRecorderStatusCommand,
  DescribeConfigurationRecordersCommand,
  DescribeDeliveryChannelsCommand,
  PutConfigurationRecorderCommand,
  PutDeliveryChannelCommand,
  StopConfigurationRecorderCommand,
} from '@aws-sdk/client-config-service';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { apiCallEvent } from '../../cli/events.js';
import type { DemoContext, DemoGuardrail } from '../core/demo.js';
import { errorCode } from '../core/errors.js';
import { isServiceLinkedName } from './events.js';
import { configRecorder } from './index.js';

const ROLE_TEMPLATE = 'arn:aws:iam::{account}:role/aws-config-recorder';
const BUCKET_TEMPLATE = 'logwarden-config-{account}';
const PREFIX = 'config';
const FREQUENCY = 'Six_Hours';
const NARROWED = ['AWS::EC2::Instance'];

const cfg = (ctx: DemoContext) => ctx.clients.get(ConfigServiceClient, ctx.region);
const roleOf = (ctx: DemoContext) => ROLE_TEMPLATE.replace('{account}', ctx.account);
const bucketOf = (ctx: DemoContext) => BUCKET_TEMPLATE.replace('{account}', ctx.account);

const event = (ctx: DemoContext, eventName: string, requestParameters: Record<string, unknown>) =>
  apiCallEvent({ account: ctx.account, region: ctx.region, eventSource: 'config.amazonaws.com', eventName, requestParameters });

async function customerRecorders(ctx: DemoContext) {
  const out = await cfg(ctx).send(new DescribeConfigurationRecordersCommand({}));
  return (out.ConfigurationRecorders ?? []).filter((r) => r.name && !r.servicePrincipal && !isServiceLinkedName(r.name));
}

async function theRecorder(ctx: DemoContext): Promise<string> {
  const [r] = await customerRecorders(ctx);
  if (!r?.name) throw new Error(`no configuration recorder in ${ctx.region}`);
  return r.name;
}

async function recorderProblems(ctx: DemoContext): Promise<string[]> {
  const recorders = await customerRecorders(ctx);
  if (recorders.length !== 1) return [`${recorders.length} configuration recorders in ${ctx.region}`];
  const [r] = recorders;
  const problems: string[] = [];
  if (r?.roleARN !== roleOf(ctx)) problems.push(`role ${r?.roleARN}`);
  if (!r?.recordingGroup?.allSupported) problems.push(`records only ${r?.recordingGroup?.resourceTypes?.join(', ')}`);
  else if (!r.recordingGroup.includeGlobalResourceTypes) problems.push('global IAM types not recorded in their home region');
  const status = await cfg(ctx).send(
    new DescribeConfigurationRecorderStatusCommand({ ConfigurationRecorderNames: [r?.name as string] }),
  );
  if (!status.ConfigurationRecordersStatus?.[0]?.recording) problems.push('not recording');
  return problems;
}

async function channelProblems(ctx: DemoContext): Promise<string[]> {
  const channels = (await cfg(ctx).send(new DescribeDeliveryChannelsCommand({}))).DeliveryChannels ?? [];
  if (channels.length !== 1) return [`${channels.length} delivery channels`];
  const [c] = channels;
  const problems: string[] = [];
  if (c?.s3BucketName !== bucketOf(ctx)) problems.push(`delivers to ${c?.s3BucketName}`);
  if (c?.s3KeyPrefix !== PREFIX) problems.push(`prefix ${c?.s3KeyPrefix}`);
  if (c?.configSnapshotDeliveryProperties?.deliveryFrequency !== FREQUENCY)
    problems.push('snapshot frequency not the policy one');
  return problems;
}

/** Null when the region has one recorder recording what the policy wants, delivering to the policy's bucket. */
async function recordingProblems(ctx: DemoContext): Promise<string | null> {
  try {
    const problems = [...(await recorderProblems(ctx)), ...(await channelProblems(ctx))];
    return problems.length > 0 ? problems.join(', ') : null;
  } catch (error) {
    return `cannot read the recorder: ${errorCode(error)}`;
  }
}

async function createBucket(ctx: DemoContext, bucket: string): Promise<void> {
  try {
    await ctx.clients.get(S3Client, ctx.region).send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (error) {
    if (errorCode(error) !== 'BucketAlreadyOwnedByYou') throw error;
  }
}

/**
 * The AWS Config part of the demo: the recorder is stopped, deleted and narrowed; its delivery
 * channel is deleted and moved to another bucket.
 */
export const demo: DemoGuardrail = {
  guardrail: configRecorder,
  policySection: (ctx) => ({
    mode: 'remediate',
    recorderName: 'default',
    roleArn: ROLE_TEMPLATE,
    globalResourceTypesRegion: ctx.region,
    deliveryChannel: { bucketName: BUCKET_TEMPLATE, keyPrefix: PREFIX, deliveryFrequency: FREQUENCY },
  }),
  async prepare(ctx) {
    // The infrastructure's config bucket. The recorder role is the infrastructure's too; moto does not
    // check that a role exists (and the project has no IAM client), so it is only named.
    await createBucket(ctx, bucketOf(ctx));
    // An account that set Config up by hand: a narrow recorder, never started, no channel. The
    // baseline sweep adopts it; if another demo already made a recorder here, that one is adopted.
    if ((await customerRecorders(ctx)).length > 0) return;
    await cfg(ctx).send(
      new PutConfigurationRecorderCommand({
        ConfigurationRecorder: {
          name: 'default',
          roleARN: roleOf(ctx),
          recordingGroup: { allSupported: false, includeGlobalResourceTypes: false, resourceTypes: NARROWED as never[] },
        },
      }),
    );
  },
  async duplicates(ctx) {
    const recorders = await customerRecorders(ctx);
    const channels = (await cfg(ctx).send(new DescribeDeliveryChannelsCommand({}))).DeliveryChannels ?? [];
    return [
      ...(recorders.length > 1 ? [`${recorders.length} configuration recorders in ${ctx.region}`] : []),
      ...(channels.length > 1 ? [`${channels.length} delivery channels in ${ctx.region}`] : []),
    ];
  },
  scenarios: [
    {
      title: 'Config: StopConfigurationRecorder',
      minimum: {
        calls: 3,
        why: 'DescribeConfigurationRecorderStatus, StartConfigurationRecorder, DescribeConfigurationRecorderStatus (verify).',
      },
      async tamper(ctx) {
        const name = await theRecorder(ctx);
        await cfg(ctx).send(new StopConfigurationRecorderCommand({ ConfigurationRecorderName: name }));
        return [event(ctx, 'StopConfigurationRecorder', { configurationRecorderName: name })];
      },
      check: recordingProblems,
    },
    {
      // AWS refuses to delete the channel of a running recorder, so the recorder is stopped first; the
      // Stop event is delivered too (the first scenario's case): one event here, as each is handled alone.
      title: 'Config: StopConfigurationRecorder, then DeleteDeliveryChannel',
      minimum: {
        calls: 6,
        why: 'DescribeDeliveryChannels and DescribeConfigurationRecorderStatus, PutDeliveryChannel, StartConfigurationRecorder, both reads again (verify).',
      },
      async tamper(ctx) {
        const name = await theRecorder(ctx);
        await cfg(ctx).send(new StopConfigurationRecorderCommand({ ConfigurationRecorderName: name }));
        const [channel] = (await cfg(ctx).send(new DescribeDeliveryChannelsCommand({}))).DeliveryChannels ?? [];
        const channelName = channel?.name ?? 'default';
        await cfg(ctx).send(new DeleteDeliveryChannelCommand({ DeliveryChannelName: channelName }));
        return [event(ctx, 'DeleteDeliveryChannel', { deliveryChannelName: channelName })];
      },
      check: recordingProblems,
    },
    {
      title: 'Config: DeleteConfigurationRecorder',
      minimum: {
        calls: 5,
        why: 'DescribeConfigurationRecorders (none left), PutConfigurationRecorder, StartConfigurationRecorder, DescribeConfigurationRecorders and its status (verify).',
      },
      async tamper(ctx) {
        const name = await theRecorder(ctx);
        await cfg(ctx).send(new DeleteConfigurationRecorderCommand({ ConfigurationRecorderName: name }));
        return [event(ctx, 'DeleteConfigurationRecorder', { configurationRecorderName: name })];
      },
      check: recordingProblems,
    },
    {
      title: 'Config: PutConfigurationRecorder narrows recording to EC2 instances',
      minimum: {
        calls: 3,
        why: 'DescribeConfigurationRecorders, PutConfigurationRecorder, DescribeConfigurationRecorders (verify).',
      },
      async tamper(ctx) {
        const name = await theRecorder(ctx);
        const recordingGroup = { allSupported: false, includeGlobalResourceTypes: false, resourceTypes: NARROWED };
        await cfg(ctx).send(
          new PutConfigurationRecorderCommand({
            ConfigurationRecorder: { name, roleARN: roleOf(ctx), recordingGroup: recordingGroup as never },
          }),
        );
        return [
          event(ctx, 'PutConfigurationRecorder', { configurationRecorder: { name, roleARN: roleOf(ctx), recordingGroup } }),
        ];
      },
      check: recordingProblems,
    },
    {
      title: 'Config: PutDeliveryChannel moves delivery to another bucket',
      minimum: { calls: 3, why: 'DescribeDeliveryChannels, PutDeliveryChannel, DescribeDeliveryChannels (verify).' },
      async tamper(ctx) {
        const [channel] = (await cfg(ctx).send(new DescribeDeliveryChannelsCommand({}))).DeliveryChannels ?? [];
        const deliveryChannel = { name: channel?.name ?? 'default', s3BucketName: `quiet-place-${ctx.account}` };
        // moto does not check that the bucket exists or lets Config write; AWS would (the attacker owns one).
        await cfg(ctx).send(new PutDeliveryChannelCommand({ DeliveryChannel: deliveryChannel }));
        return [event(ctx, 'PutDeliveryChannel', { deliveryChannel })];
      },
      check: recordingProblems,
    },
  ],
};
