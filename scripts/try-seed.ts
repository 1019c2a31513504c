/**
 * The account of the README's "Try it on the emulator" walkthrough (examples/emulator.policy.json):
 * what the infrastructure would own (the log buckets, the audit bus) and a little drift for logwarden
 * to find (a bucket without access logs, a VPC without flow logs; no trail, no GuardDuty detector).
 *
 *   npx tsx scripts/try-seed.ts
 *
 * It talks to whatever AWS_ENDPOINT_URL names, and refuses to run without it: it must never create
 * buckets in a real account by mistake.
 */
import { CreateVpcCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { CreateBucketCommand, PutBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';

/** moto's account and the walkthrough's region (the policy's only region). */
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
/** The log bucket the bucket-logging section names: `{prefix}-{account}-{region}`. */
const ACCESS_LOG_BUCKET = `try-it-access-logs-${ACCOUNT}-${REGION}`;
const BUCKETS = ['try-it-cloudtrail-logs', 'try-it-vpc-flow-logs', ACCESS_LOG_BUCKET, 'try-it-app-data'];

/** S3 server access log delivery may write to the log bucket for this account's buckets (the guardrail checks it). */
function logDeliveryPolicy(bucket: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'S3ServerAccessLogsPolicy',
        Effect: 'Allow',
        Principal: { Service: 'logging.s3.amazonaws.com' },
        Action: 's3:PutObject',
        Resource: `arn:aws:s3:::${bucket}/*`,
        Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
      },
    ],
  });
}

async function seed(): Promise<void> {
  const s3 = new S3Client({ region: REGION, forcePathStyle: true });
  for (const bucket of BUCKETS) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(new PutBucketPolicyCommand({ Bucket: ACCESS_LOG_BUCKET, Policy: logDeliveryPolicy(ACCESS_LOG_BUCKET) }));
  const vpc = await new EC2Client({ region: REGION }).send(new CreateVpcCommand({ CidrBlock: '10.20.0.0/16' }));
  await new EventBridgeClient({ region: REGION }).send(new CreateEventBusCommand({ Name: 'logwarden-audit' }));
  process.stdout.write(`seeded: ${BUCKETS.length} buckets, VPC ${vpc.Vpc?.VpcId}, event bus logwarden-audit\n`);
}

if (!process.env.AWS_ENDPOINT_URL) {
  process.stderr.write('try-seed: AWS_ENDPOINT_URL is not set; paste the export lines `logwarden emulator` printed first.\n');
  process.exitCode = 2;
} else {
  await seed();
}
