import { CloudTrailClient, DescribeTrailsCommand, GetTrailStatusCommand, type Trail } from '@aws-sdk/client-cloudtrail';
import {
  ConfigServiceClient,
  DescribeConfigurationRecordersCommand,
  DescribeDeliveryChannelsCommand,
} from '@aws-sdk/client-config-service';
import {
  DescribeFlowLogsCommand,
  DescribeRegionsCommand,
  DescribeVpcsCommand,
  EC2Client,
  type FlowLog,
} from '@aws-sdk/client-ec2';
import { GetDetectorCommand, GuardDutyClient, ListDetectorsCommand } from '@aws-sdk/client-guardduty';
import { GetBucketLocationCommand, GetBucketLoggingCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsClients } from '../../controllers/core/aws.js';
import { mapLimit } from '../../controllers/core/concurrency.js';
import { ConfigError, errorCode } from '../../controllers/core/errors.js';
import type { AccountFacts, BucketFact, DetectorFact, FlowLogFact, RecorderFact, RegionFacts, TrailFact } from './facts.js';

/**
 * The reads of `logwarden init`: read-only calls only (Describe, List, Get). A read that fails (access
 * denied, a service not offered in a region) becomes a warning and its facts count as absent: a
 * starter policy is still useful, and the summary says what could not be read.
 */

/** Regions read at once, and buckets whose logging is read at once. */
const REGION_CONCURRENCY = 4;
const BUCKET_CONCURRENCY = 8;
/** How many buckets' logging is read to find the log-bucket pattern in use. */
const BUCKET_SAMPLE = 25;

type Warn = (what: string, error: unknown) => void;

async function readOr<T>(warn: Warn, what: string, fallback: T, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    warn(what, error);
    return fallback;
  }
}

async function accountOf(clients: AwsClients, region: string): Promise<string> {
  const caller = await clients.get(STSClient, region).send(new GetCallerIdentityCommand({}));
  if (!caller.Account) throw new ConfigError('account', 'STS GetCallerIdentity did not name the account');
  return caller.Account;
}

/** The regions enabled in the account (opted in or not requiring it); `asked` must be among them. */
async function regionsToRead(clients: AwsClients, home: string, asked: readonly string[] | undefined): Promise<string[]> {
  const answer = await clients.get(EC2Client, home).send(new DescribeRegionsCommand({}));
  const enabled = (answer.Regions ?? []).flatMap((r) => (r.RegionName ? [r.RegionName] : [])).sort();
  if (!asked) return enabled;
  const list = asked.flatMap((value) => value.split(',')).filter((value) => value.length > 0);
  for (const region of list) {
    if (!enabled.includes(region)) {
      throw new ConfigError(
        '--region',
        `region ${JSON.stringify(region)} is not enabled in this account; valid: ${enabled.join(', ')}`,
      );
    }
  }
  return [...new Set(list)];
}

function trailFact(trail: Trail, isLogging: boolean): TrailFact {
  return {
    name: trail.Name ?? '',
    homeRegion: trail.HomeRegion ?? '',
    ownerAccount: trail.TrailARN?.split(':')[4] ?? '',
    s3BucketName: trail.S3BucketName,
    s3KeyPrefix: trail.S3KeyPrefix,
    kmsKeyId: trail.KmsKeyId,
    isMultiRegionTrail: trail.IsMultiRegionTrail === true,
    isOrganizationTrail: trail.IsOrganizationTrail === true,
    logFileValidationEnabled: trail.LogFileValidationEnabled === true,
    includeGlobalServiceEvents: trail.IncludeGlobalServiceEvents === true,
    isLogging,
  };
}

/** The trails whose home is this region (shadow copies of other regions' multi-region trails left out). */
async function trailsIn(clients: AwsClients, region: string): Promise<TrailFact[]> {
  const cloudtrail = clients.get(CloudTrailClient, region);
  const { trailList = [] } = await cloudtrail.send(new DescribeTrailsCommand({ includeShadowTrails: false }));
  const home = trailList.filter((t) => t.HomeRegion === region);
  return Promise.all(
    home.map(async (t) => {
      const status = await cloudtrail.send(new GetTrailStatusCommand({ Name: t.TrailARN ?? t.Name }));
      return trailFact(t, status.IsLogging === true);
    }),
  );
}

async function nonDefaultVpcsIn(clients: AwsClients, region: string): Promise<number> {
  let count = 0;
  let NextToken: string | undefined;
  do {
    const page = await clients.get(EC2Client, region).send(new DescribeVpcsCommand({ NextToken }));
    count += (page.Vpcs ?? []).filter((v) => v.IsDefault !== true).length;
    NextToken = page.NextToken;
  } while (NextToken);
  return count;
}

function flowLogFact(f: FlowLog): FlowLogFact[] {
  const trafficType = f.TrafficType ?? 'ALL';
  if (f.LogDestinationType === 's3' && f.LogDestination) return [{ type: 's3', destination: f.LogDestination, trafficType }];
  if ((f.LogDestinationType ?? 'cloud-watch-logs') === 'cloud-watch-logs' && f.LogGroupName && f.DeliverLogsPermissionArn) {
    return [{ type: 'cloud-watch-logs', logGroupName: f.LogGroupName, deliveryRoleArn: f.DeliverLogsPermissionArn, trafficType }];
  }
  return [];
}

async function flowLogsIn(clients: AwsClients, region: string): Promise<FlowLogFact[]> {
  const facts: FlowLogFact[] = [];
  let NextToken: string | undefined;
  do {
    const page = await clients.get(EC2Client, region).send(new DescribeFlowLogsCommand({ NextToken }));
    facts.push(...(page.FlowLogs ?? []).flatMap(flowLogFact));
    NextToken = page.NextToken;
  } while (NextToken);
  return facts;
}

async function detectorIn(clients: AwsClients, region: string): Promise<DetectorFact | undefined> {
  const guardduty = clients.get(GuardDutyClient, region);
  const [detectorId] = (await guardduty.send(new ListDetectorsCommand({}))).DetectorIds ?? [];
  if (!detectorId) return undefined;
  const detector = await guardduty.send(new GetDetectorCommand({ DetectorId: detectorId }));
  const features = Object.fromEntries((detector.Features ?? []).map((f) => [f.Name ?? '', f.Status ?? '']));
  return { status: detector.Status ?? '', findingPublishingFrequency: detector.FindingPublishingFrequency, features };
}

/** The customer-managed recorder and the region's delivery channel. */
async function recorderIn(clients: AwsClients, region: string): Promise<RecorderFact | undefined> {
  const config = clients.get(ConfigServiceClient, region);
  const { ConfigurationRecorders = [] } = await config.send(new DescribeConfigurationRecordersCommand({}));
  const recorder = ConfigurationRecorders.find((r) => !r.name?.startsWith('AWSConfigurationRecorderFor') && !r.servicePrincipal);
  if (!recorder?.name || !recorder.roleARN) return undefined;
  const [channel] = (await config.send(new DescribeDeliveryChannelsCommand({}))).DeliveryChannels ?? [];
  return {
    name: recorder.name,
    roleArn: recorder.roleARN,
    allSupported: recorder.recordingGroup?.allSupported !== false,
    includeGlobalResourceTypes: recorder.recordingGroup?.includeGlobalResourceTypes === true,
    resourceTypes: recorder.recordingGroup?.resourceTypes ?? [],
    channel: channel?.s3BucketName
      ? {
          bucketName: channel.s3BucketName,
          keyPrefix: channel.s3KeyPrefix,
          snsTopicArn: channel.snsTopicARN,
          deliveryFrequency: channel.configSnapshotDeliveryProperties?.deliveryFrequency,
        }
      : undefined,
  };
}

async function regionFacts(clients: AwsClients, region: string, warn: Warn): Promise<RegionFacts> {
  const [nonDefaultVpcs, trails, flowLogs, detector, recorder] = await Promise.all([
    readOr(warn, `VPCs in ${region}`, 0, () => nonDefaultVpcsIn(clients, region)),
    readOr(warn, `trails in ${region}`, [], () => trailsIn(clients, region)),
    readOr(warn, `flow logs in ${region}`, [], () => flowLogsIn(clients, region)),
    readOr(warn, `GuardDuty in ${region}`, undefined, () => detectorIn(clients, region)),
    readOr(warn, `AWS Config in ${region}`, undefined, () => recorderIn(clients, region)),
  ]);
  return { region, nonDefaultVpcs, trails, flowLogs, detector, recorder };
}

const KEY_FORMATS = ['EventTime', 'DeliveryTime'] as const;

async function bucketFact(
  clients: AwsClients,
  home: string,
  name: string,
  listedRegion: string | undefined,
): Promise<BucketFact> {
  // ListBuckets names the region on AWS; GetBucketLocation answers where it does not (empty means us-east-1).
  const location = listedRegion
    ? undefined
    : await clients.get(S3Client, home).send(new GetBucketLocationCommand({ Bucket: name }));
  const region = listedRegion || location?.LocationConstraint || 'us-east-1';
  // Asked in the bucket's own region: S3 answers a request sent to another region with a redirect.
  const { LoggingEnabled } = await clients.get(S3Client, region).send(new GetBucketLoggingCommand({ Bucket: name }));
  if (!LoggingEnabled?.TargetBucket) return { name, region };
  const source = LoggingEnabled.TargetObjectKeyFormat?.PartitionedPrefix?.PartitionDateSource;
  const keyFormat = LoggingEnabled.TargetObjectKeyFormat?.PartitionedPrefix
    ? (KEY_FORMATS.find((f) => f === source) ?? 'DeliveryTime')
    : 'simple';
  return {
    name,
    region,
    logging: { targetBucket: LoggingEnabled.TargetBucket, targetPrefix: LoggingEnabled.TargetPrefix ?? '', keyFormat },
  };
}

/** Every bucket name, and the logging of a sample (the first buckets by name): enough to see the pattern in use. */
async function bucketsOf(clients: AwsClients, home: string, warn: Warn): Promise<{ names: string[]; sample: BucketFact[] }> {
  const s3 = clients.get(S3Client, home);
  const listed = await readOr(warn, 'S3 buckets', [], async () => (await s3.send(new ListBucketsCommand({}))).Buckets ?? []);
  const named = listed
    .flatMap((b) => (b.Name ? [{ name: b.Name, region: b.BucketRegion }] : []))
    .sort((a, b) => a.name.localeCompare(b.name));
  const sample = await mapLimit(named.slice(0, BUCKET_SAMPLE), BUCKET_CONCURRENCY, (b) =>
    readOr<BucketFact | undefined>(warn, `logging of bucket ${b.name}`, undefined, () =>
      bucketFact(clients, home, b.name, b.region),
    ),
  );
  return { names: named.map((b) => b.name), sample: sample.filter((b): b is BucketFact => b !== undefined) };
}

/** Read what the starter policy is built from. `regions` limits the regions read (`-r`). */
export async function discoverAccount(
  clients: AwsClients,
  options: { homeRegion: string; regions?: readonly string[] },
): Promise<AccountFacts> {
  const warnings: string[] = [];
  const warn: Warn = (what, error) => warnings.push(`could not read ${what}: ${errorCode(error)}`);
  const account = await accountOf(clients, options.homeRegion);
  const regionNames = await regionsToRead(clients, options.homeRegion, options.regions);
  const regions = await mapLimit(regionNames, REGION_CONCURRENCY, (region) => regionFacts(clients, region, warn));
  const buckets = await bucketsOf(clients, options.homeRegion, warn);
  return { account, homeRegion: options.homeRegion, regions, bucketNames: buckets.names, buckets: buckets.sample, warnings };
}
