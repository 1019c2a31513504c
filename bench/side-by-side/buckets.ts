/**
 * Bucket access logging: N buckets, a share of them without logging, plus the account's log bucket.
 * logwarden's bucket-logging guardrail next to Custodian's `toggle-logging` on `bucket-logging: disabled`.
 */
import { GetBucketLoggingCommand, ListBucketsCommand, PutBucketLoggingCommand, S3Client } from '@aws-sdk/client-s3';
import { createBucket, createLogBucket } from '../../controllers/bucket-logging/demo.js';
import { logBucketName } from '../../controllers/bucket-logging/events.js';
import { bucketLogging } from '../../controllers/bucket-logging/index.js';
import type { AwsClients } from '../../controllers/core/aws.js';
import { mapLimit } from '../../controllers/core/concurrency.js';
import { ACCOUNT, REGION } from './constants.js';
import { type Check, type Job, verdictOf } from './job.js';

const SECTION = {
  mode: 'remediate',
  logBucket: { prefix: 's3-access-logs' },
  // moto does not report TargetObjectKeyFormat back: the simple format keeps logwarden's verification meaningful.
  targetObjectKeyFormat: { simplePrefix: {} },
  // moto cuts ListBuckets at MaxBuckets and returns no continuation token: one page of 10,000 lists them all.
  sweep: { pageSize: 10_000 },
};
const LOG_BUCKET = logBucketName(bucketLogging.policySchema.parse(SECTION), ACCOUNT, REGION);
/** Where both tools send a bucket's logs: the log bucket, under the bucket's name (logwarden's default). */
const prefixOf = (bucket: string) => `${bucket}/`;
const SEED_CONCURRENCY = 16;

/** Custodian's documented policy: buckets without logging get `toggle-logging` to the log bucket. */
const CUSTODIAN_POLICY = {
  name: 's3-access-logging',
  resource: 's3',
  filters: [
    // Without this filter the log bucket (which has no logging, on purpose) matches too, and
    // toggle-logging points it at itself: observed on the emulator, see the notes of the results.
    { type: 'value', key: 'Name', op: 'ne', value: LOG_BUCKET },
    { type: 'bucket-logging', op: 'disabled' },
  ],
  actions: [{ type: 'toggle-logging', target_bucket: LOG_BUCKET, target_prefix: '{source_bucket_name}/' }],
};

type LoggingState = Map<string, string | null>;

/** Every bucket's logging as `target/prefix` (null: off), read straight from the emulator. */
async function loggingState(clients: AwsClients): Promise<LoggingState> {
  const s3 = clients.get(S3Client, REGION);
  const names = ((await s3.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name as string);
  const entries = await mapLimit(names, SEED_CONCURRENCY, async (name) => {
    const on = (await s3.send(new GetBucketLoggingCommand({ Bucket: name }))).LoggingEnabled;
    return [name, on ? `${on.TargetBucket}/${on.TargetPrefix}` : null] as const;
  });
  return new Map(entries);
}

/** What differs between the state after a run and the wanted one; the log bucket is named apart. */
function differences(after: LoggingState, wanted: LoggingState): string[] {
  const problems: string[] = [];
  if (after.size !== wanted.size) problems.push(`${after.size} buckets, ${wanted.size} seeded`);
  const wrong = [...wanted].filter(([name, logging]) => after.get(name) !== logging).map(([name]) => name);
  const logBucket = after.get(LOG_BUCKET);
  if (logBucket) problems.push(`log bucket now logs to ${logBucket}${logBucket.startsWith(`${LOG_BUCKET}/`) ? ' (itself)' : ''}`);
  const others = wrong.filter((name) => name !== LOG_BUCKET);
  if (others.length > 0)
    problems.push(`${others.length} buckets not as wanted, e.g. ${others[0]}: ${after.get(others[0] as string)}`);
  return problems;
}

async function seedBuckets(clients: AwsClients, buckets: number, nonCompliant: number): Promise<Check> {
  await createLogBucket(clients, LOG_BUCKET, ACCOUNT, REGION);
  const names = Array.from({ length: buckets }, (_, i) => `bench-bucket-${String(i).padStart(5, '0')}`);
  const s3 = clients.get(S3Client, REGION);
  // The first `nonCompliant` buckets are left without logging.
  await mapLimit([...names.entries()], SEED_CONCURRENCY, async ([index, name]) => {
    await createBucket(clients, name, REGION);
    if (index < nonCompliant) return;
    await s3.send(
      new PutBucketLoggingCommand({
        Bucket: name,
        BucketLoggingStatus: { LoggingEnabled: { TargetBucket: LOG_BUCKET, TargetPrefix: prefixOf(name) } },
      }),
    );
  });
  // Wanted after the run: every bucket logs to the log bucket under its name; the log bucket does not log.
  const wanted: LoggingState = new Map([[LOG_BUCKET, null], ...names.map((n) => [n, `${LOG_BUCKET}/${prefixOf(n)}`] as const)]);
  return async () =>
    verdictOf(
      differences(await loggingState(clients), wanted),
      nonCompliant > 0
        ? `${nonCompliant} fixed, ${buckets - nonCompliant} untouched, log bucket untouched`
        : `nothing to fix, nothing changed (${buckets} buckets + log bucket)`,
    );
}

/** A bucket job: `buckets` buckets, `nonCompliantPercent` of them without access logging. */
export function bucketJob(id: string, buckets: number, nonCompliantPercent: number): Job {
  const nonCompliant = Math.round((buckets * nonCompliantPercent) / 100);
  const count = buckets.toLocaleString('en-US');
  return {
    id,
    title:
      nonCompliant > 0
        ? `S3 access logging: ${count} buckets, ${nonCompliant} without (fix)`
        : `S3 access logging: ${count} buckets, all compliant (steady state)`,
    large: buckets >= 1000,
    logwarden: { guardrail: 'bucket-logging', section: SECTION },
    custodian: CUSTODIAN_POLICY,
    seed: (clients) => seedBuckets(clients, buckets, nonCompliant),
  };
}
