import {
  CloudTrailClient,
  CreateTrailCommand,
  GetEventSelectorsCommand,
  GetTrailCommand,
  type GetTrailCommandOutput,
  GetTrailStatusCommand,
  ListTagsCommand,
  PutEventSelectorsCommand,
  StartLoggingCommand,
  UpdateTrailCommand,
} from '@aws-sdk/client-cloudtrail';
import { errorCode } from '../core/errors.js';
import { MANAGED_TAG } from '../core/tags.js';
import type { Observation, Scope } from '../core/types.js';
import { DEFAULT_SELECTORS, type DeliveryStatus, type DesiredTrail, type TrailState, type TrailStep } from './diff.js';
import type { TrailRef } from './events.js';
import type { AdvancedSelector, BasicSelector, CloudTrailPolicy } from './policy.js';

const client = (scope: Scope<CloudTrailPolicy>, region: string) => scope.clients.get(CloudTrailClient, region);

type Trail = NonNullable<GetTrailCommandOutput['Trail']>;
type ExistingTrail = Extract<TrailState, { exists: true }>;
type TrailClient = ReturnType<typeof client>;

const orEmpty = (s: string | undefined) => (s ? s : null);

/** The settings GetTrail reports, as the diff compares them. */
function trailSettings(trail: Trail, arn: string) {
  return {
    arn,
    homeRegion: trail.HomeRegion ?? /^arn:[^:]+:cloudtrail:([^:]+):/.exec(arn)?.[1] ?? null,
    s3BucketName: orEmpty(trail.S3BucketName),
    s3KeyPrefix: orEmpty(trail.S3KeyPrefix),
    kmsKeyId: orEmpty(trail.KmsKeyId),
    isMultiRegionTrail: trail.IsMultiRegionTrail === true,
    logFileValidationEnabled: trail.LogFileValidationEnabled === true,
    includeGlobalServiceEvents: trail.IncludeGlobalServiceEvents === true,
    isOrganizationTrail: trail.IsOrganizationTrail === true,
    cloudWatchLogsLogGroupArn: orEmpty(trail.CloudWatchLogsLogGroupArn),
    cloudWatchLogsRoleArn: orEmpty(trail.CloudWatchLogsRoleArn),
  };
}

/** GetTrail: the trail with its ARN, or null when it does not exist. */
async function getTrail(ct: TrailClient, name: string): Promise<{ trail: Trail; arn: string } | null> {
  try {
    const trail = (await ct.send(new GetTrailCommand({ Name: name }))).Trail;
    return trail?.TrailARN ? { trail, arn: trail.TrailARN } : null;
  } catch (error) {
    if (errorCode(error) === 'TrailNotFoundException') return null;
    throw error;
  }
}

const iso = (d: Date | undefined) => (d ? d.toISOString() : null);

const isLogging = async (ct: TrailClient, arn: string) =>
  (await ct.send(new GetTrailStatusCommand({ Name: arn }))).IsLogging === true;

/** GetTrailStatus: logging, and what it says of S3 delivery (read at `now`). */
async function trailStatus(ct: TrailClient, arn: string, now: Date): Promise<{ isLogging: boolean; delivery: DeliveryStatus }> {
  const out = await ct.send(new GetTrailStatusCommand({ Name: arn }));
  return {
    isLogging: out.IsLogging === true,
    delivery: {
      latestDeliveryError: out.LatestDeliveryError || null,
      latestDeliveryTime: iso(out.LatestDeliveryTime),
      startLoggingTime: iso(out.StartLoggingTime),
      observedAt: now.toISOString(),
    },
  };
}

async function selectorsOf(ct: TrailClient, arn: string) {
  const out = await ct.send(new GetEventSelectorsCommand({ TrailName: arn }));
  return {
    eventSelectors: (out.EventSelectors ?? []) as BasicSelector[],
    advancedEventSelectors: (out.AdvancedEventSelectors ?? []) as AdvancedSelector[],
  };
}

/** The trail's tags, read only when there is drift (for the unapproved exemption-request note). */
export async function readTrailTags(
  ref: TrailRef,
  state: TrailState,
  scope: Scope<CloudTrailPolicy>,
): Promise<Record<string, string>> {
  if (!state.exists) return {};
  const { arn } = state;
  const out = await client(scope, ref.region).send(new ListTagsCommand({ ResourceIdList: [arn] }));
  const list = out.ResourceTagList?.find((r) => r.ResourceId === arn) ?? out.ResourceTagList?.[0];
  return Object.fromEntries((list?.TagsList ?? []).filter((t) => t.Key).map((t) => [t.Key as string, t.Value ?? '']));
}

/**
 * To decide: GetTrail, then GetTrailStatus and GetEventSelectors in parallel (three reads; the tags
 * only on drift, `readTrailTags`).
 * To verify: only what the writes can change (StartLogging: GetTrailStatus; UpdateTrail: GetTrail;
 * PutEventSelectors: GetEventSelectors); a created trail is read again in full.
 */
export async function observeTrail(
  ref: TrailRef,
  scope: Scope<CloudTrailPolicy>,
  observation: Observation<TrailState, TrailStep> = { purpose: 'decide' },
): Promise<TrailState> {
  const ct = client(scope, ref.region);
  if (observation.purpose === 'verify' && observation.before.exists) {
    const apis = new Set(observation.steps.map((s) => s.api));
    if (!apis.has('cloudtrail:CreateTrail')) return reread(ct, observation.before, apis);
  }
  const found = await getTrail(ct, ref.id);
  if (!found) return { exists: false };
  const { arn } = found;
  const [status, selectors] = await Promise.all([trailStatus(ct, arn, scope.now()), selectorsOf(ct, arn)]);
  // Right after a create, delivery cannot be judged yet (see `reread`).
  const delivery = observation.purpose === 'verify' ? null : status.delivery;
  return { exists: true, ...trailSettings(found.trail, arn), isLogging: status.isLogging, delivery, ...selectors };
}

/**
 * Re-read only the parts of a trail that these writes change; the rest is as the decision saw it.
 * Delivery is not judged: the writes change where and whether it delivers, and only the next
 * delivery (minutes later) tells; the next sweep or event judges it.
 */
async function reread(ct: TrailClient, before: ExistingTrail, apis: ReadonlySet<string>): Promise<TrailState> {
  const [found, logging, selectors] = await Promise.all([
    apis.has('cloudtrail:UpdateTrail') ? getTrail(ct, before.arn) : undefined,
    apis.has('cloudtrail:StartLogging') ? isLogging(ct, before.arn) : before.isLogging,
    apis.has('cloudtrail:PutEventSelectors') ? selectorsOf(ct, before.arn) : before,
  ]);
  if (found === null) return { exists: false };
  const settings = found ? trailSettings(found.trail, found.arn) : {};
  const { eventSelectors, advancedEventSelectors } = selectors;
  return { ...before, ...settings, isLogging: logging, delivery: null, eventSelectors, advancedEventSelectors };
}

function selectorsInput(d: DesiredTrail) {
  // Send the policy's own selectors (with their names), not the normalized comparison form.
  return d.advancedEventSelectors
    ? { AdvancedEventSelectors: d.advancedEventSelectors }
    : { EventSelectors: d.eventSelectors ?? DEFAULT_SELECTORS };
}

/** Make one write. */
export async function applyTrailStep(
  step: TrailStep,
  ref: TrailRef,
  d: DesiredTrail,
  scope: Scope<CloudTrailPolicy>,
): Promise<void> {
  const ct = client(scope, ref.region);
  switch (step.api) {
    case 'cloudtrail:CreateTrail':
      try {
        await ct.send(
          new CreateTrailCommand({
            Name: d.name,
            S3BucketName: d.s3BucketName,
            S3KeyPrefix: d.s3KeyPrefix,
            KmsKeyId: d.kmsKeyId,
            IsMultiRegionTrail: d.isMultiRegionTrail,
            EnableLogFileValidation: d.enableLogFileValidation,
            IncludeGlobalServiceEvents: d.includeGlobalServiceEvents,
            IsOrganizationTrail: d.isOrganizationTrail,
            CloudWatchLogsLogGroupArn: d.cloudWatchLogs?.logGroupArn,
            CloudWatchLogsRoleArn: d.cloudWatchLogs?.roleArn,
            TagsList: [{ Key: MANAGED_TAG, Value: 'true' }],
          }),
        );
      } catch (error) {
        // A concurrent invocation created it first: the following steps and the verification converge it.
        if (errorCode(error) !== 'TrailAlreadyExistsException') throw error;
      }
      return;
    case 'cloudtrail:UpdateTrail':
      await ct.send(new UpdateTrailCommand({ Name: ref.arn ?? ref.id, ...step.fields }));
      return;
    case 'cloudtrail:PutEventSelectors':
      await ct.send(new PutEventSelectorsCommand({ TrailName: ref.arn ?? ref.id, ...selectorsInput(d) }));
      return;
    case 'cloudtrail:StartLogging':
      await ct.send(new StartLoggingCommand({ Name: ref.arn ?? ref.id }));
      return;
  }
}
