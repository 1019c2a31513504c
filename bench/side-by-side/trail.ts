/**
 * CloudTrail: one trail, as logwarden's policy wants it in every setting, but stopped. logwarden's
 * cloudtrail guardrail next to Custodian's `set-logging` on `status: IsLogging: false`.
 */
import {
  CloudTrailClient,
  CreateTrailCommand,
  DescribeTrailsCommand,
  GetEventSelectorsCommand,
  GetTrailStatusCommand,
  PutEventSelectorsCommand,
  StartLoggingCommand,
  StopLoggingCommand,
} from '@aws-sdk/client-cloudtrail';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { AwsClients } from '../../controllers/core/aws.js';
import { REGION } from './constants.js';
import { type Check, type Job, verdictOf } from './job.js';

const TRAIL = 'org-audit-trail';
const BUCKET = 'central-cloudtrail-logs';
const SETTINGS = {
  S3BucketName: BUCKET,
  S3KeyPrefix: 'cloudtrail',
  IsMultiRegionTrail: true,
  EnableLogFileValidation: true,
  IncludeGlobalServiceEvents: true,
};

const CUSTODIAN_POLICY = {
  name: 'cloudtrail-logging',
  resource: 'cloudtrail',
  filters: [{ type: 'status', key: 'IsLogging', value: false }],
  actions: [{ type: 'set-logging', enabled: true }],
};

/** Everything about the trails but their logging status, to tell whether a run changed anything else. */
async function trailSettings(clients: AwsClients): Promise<string> {
  const ct = clients.get(CloudTrailClient, REGION);
  const trails = (await ct.send(new DescribeTrailsCommand({}))).trailList ?? [];
  const selectors = await Promise.all(
    trails.map(async (t) => (await ct.send(new GetEventSelectorsCommand({ TrailName: t.Name }))).EventSelectors),
  );
  return JSON.stringify({ trails, selectors });
}

async function isLogging(clients: AwsClients): Promise<boolean | undefined> {
  return (await clients.get(CloudTrailClient, REGION).send(new GetTrailStatusCommand({ Name: TRAIL }))).IsLogging;
}

async function seedStoppedTrail(clients: AwsClients): Promise<Check> {
  await clients.get(S3Client, REGION).send(new CreateBucketCommand({ Bucket: BUCKET }));
  const ct = clients.get(CloudTrailClient, REGION);
  await ct.send(new CreateTrailCommand({ Name: TRAIL, ...SETTINGS }));
  // logwarden's default selectors (all management events, read and write), so only the logging differs.
  await ct.send(
    new PutEventSelectorsCommand({
      TrailName: TRAIL,
      EventSelectors: [
        { ReadWriteType: 'All', IncludeManagementEvents: true, DataResources: [], ExcludeManagementEventSources: [] },
      ],
    }),
  );
  await ct.send(new StartLoggingCommand({ Name: TRAIL }));
  await ct.send(new StopLoggingCommand({ Name: TRAIL }));
  const seeded = await trailSettings(clients);
  return async () => {
    const problems: string[] = [];
    if ((await isLogging(clients)) !== true) problems.push('the trail is not logging');
    if ((await trailSettings(clients)) !== seeded) problems.push('trail settings or event selectors changed');
    return verdictOf(problems, 'trail logging again, settings untouched');
  };
}

export const trailJob: Job = {
  id: 'f',
  title: 'CloudTrail: one stopped trail (fix)',
  logwarden: {
    guardrail: 'cloudtrail',
    section: {
      mode: 'remediate',
      trails: [
        {
          name: TRAIL,
          homeRegion: REGION,
          s3BucketName: BUCKET,
          s3KeyPrefix: SETTINGS.S3KeyPrefix,
          isMultiRegionTrail: true,
          enableLogFileValidation: true,
          includeGlobalServiceEvents: true,
        },
      ],
    },
  },
  custodian: CUSTODIAN_POLICY,
  seed: seedStoppedTrail,
};
