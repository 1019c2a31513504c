import type { LifecycleRule } from '@aws-sdk/client-s3';
import type { Identity } from '../../cli/events.js';
import type { AwsClients } from '../../controllers/core/aws.js';
import {
  createLogBucket as createLogBucketIn,
  lifecycleEvent as lifecycleEventIn,
  putRules as putRulesIn,
  putStatements as putStatementsIn,
  rulesOf as rulesOfIn,
  s3Event,
  statementsOf as statementsOfIn,
  versioningOf as versioningOfIn,
} from '../../controllers/log-bucket-retention/demo.js';
import { logBucketRetention } from '../../controllers/log-bucket-retention/index.js';
import { bucketNameOf } from '../../controllers/log-bucket-retention/policy.js';
import { ACCOUNT, REGION } from './emulator.js';

const where = { account: ACCOUNT, region: REGION };

/** The access-log bucket logwarden owns, and a delivery bucket the account's team owns. */
const OWNED_TEMPLATE = 'logwarden-access-logs-{account}-{region}';
const MEMBER_TEMPLATE = 'team-elb-logs-{account}-{region}';
export const OWNED = bucketNameOf(OWNED_TEMPLATE, ACCOUNT, REGION);
export const MEMBER = bucketNameOf(MEMBER_TEMPLATE, ACCOUNT, REGION);

/** The policy section used on the emulator. */
export function retentionSection(extra: Record<string, unknown> = {}) {
  return {
    mode: 'remediate',
    minimumRetentionDays: 90,
    buckets: [
      { name: OWNED_TEMPLATE, owner: 'logwarden' },
      { name: MEMBER_TEMPLATE, owner: 'member' },
    ],
    ...extra,
  };
}

/** Every IAM action the guardrail may be granted: its reads and its scoped writes. */
export const DECLARED = [
  ...logBucketRetention.iamActions,
  ...(logBucketRetention.scopedPermissions?.(logBucketRetention.policySchema.parse(retentionSection())) ?? []).flatMap(
    (s) => s.actions,
  ),
];

export const createLogBucket = (clients: AwsClients, bucket: string) => createLogBucketIn(clients, where, bucket);
export const putRules = (clients: AwsClients, bucket: string, rules: LifecycleRule[]) =>
  putRulesIn(clients, REGION, bucket, rules);
export const putStatements = (clients: AwsClients, bucket: string, statements: unknown[]) =>
  putStatementsIn(clients, REGION, bucket, statements);
export const rulesOf = (clients: AwsClients, bucket: string) => rulesOfIn(clients, REGION, bucket);
export const statementsOf = (clients: AwsClients, bucket: string) => statementsOfIn(clients, REGION, bucket);
export const versioningOf = (clients: AwsClients, bucket: string) => versioningOfIn(clients, REGION, bucket);

/** The PutBucketLifecycle record of `rules`, from mallory unless an identity is given. */
export const lifecycleEvent = (bucket: string, rules: LifecycleRule[], identity?: Identity) =>
  lifecycleEventIn(where, bucket, rules, identity);

/** Any S3 record about a bucket (lifecycle, versioning, policy). */
export const bucketEvent = (eventName: string, bucket: string, body: Record<string, unknown> = {}) =>
  s3Event(where, eventName, bucket, body);
