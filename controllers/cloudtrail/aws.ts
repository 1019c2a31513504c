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
import type { ObservePurpose, Scope } from '../core/types.js';
import { DEFAULT_SELECTORS, type DesiredTrail, type TrailState, type TrailStep } from './diff.js';
import type { TrailRef } from './events.js';
import type { AdvancedSelector, BasicSelector, CloudTrailPolicy } from './policy.js';

/** Tag logwarden puts on trails it creates. */
export const MANAGED_TAG = 'logwarden:managed';

const client = (scope: Scope<CloudTrailPolicy>, region: string) => scope.clients.get(CloudTrailClient, region);

/**
 * GetTrail, then GetTrailStatus, GetEventSelectors and ListTags in parallel: four reads. To verify a
 * remediation the tags are not needed (exemption was decided before it): three reads.
 */
export async function observeTrail(
  ref: TrailRef,
  scope: Scope<CloudTrailPolicy>,
  purpose: ObservePurpose = 'decide',
): Promise<TrailState> {
  const ct = client(scope, ref.region);
  let trail: GetTrailCommandOutput['Trail'];
  try {
    trail = (await ct.send(new GetTrailCommand({ Name: ref.id }))).Trail;
  } catch (error) {
    if (errorCode(error) === 'TrailNotFoundException') return { exists: false };
    throw error;
  }
  if (!trail?.TrailARN) return { exists: false };
  const arn = trail.TrailARN;
  const [status, selectors, tags] = await Promise.all([
    ct.send(new GetTrailStatusCommand({ Name: arn })),
    ct.send(new GetEventSelectorsCommand({ TrailName: arn })),
    purpose === 'verify' ? { ResourceTagList: [] } : ct.send(new ListTagsCommand({ ResourceIdList: [arn] })),
  ]);
  const tagMap: Record<string, string> = {};
  for (const t of tags.ResourceTagList?.find((r) => r.ResourceId === arn)?.TagsList ??
    tags.ResourceTagList?.[0]?.TagsList ??
    []) {
    if (t.Key) tagMap[t.Key] = t.Value ?? '';
  }
  const orEmpty = (s: string | undefined) => (s ? s : null);
  return {
    exists: true,
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
    isLogging: status.IsLogging === true,
    eventSelectors: (selectors.EventSelectors ?? []) as BasicSelector[],
    advancedEventSelectors: (selectors.AdvancedEventSelectors ?? []) as AdvancedSelector[],
    tags: tagMap,
  };
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
