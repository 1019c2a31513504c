import {
  GetBucketLifecycleConfigurationCommand,
  GetBucketLocationCommand,
  GetBucketPolicyCommand,
  GetBucketVersioningCommand,
  PutBucketLifecycleConfigurationCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { App, Stack } from 'aws-cdk-lib';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AccessLogTargetBucket, accessLogBucketConfigSchema } from '../../controllers/bucket-logging/infra.js';
import { bucketLoggingPolicySchema } from '../../controllers/bucket-logging/policy.js';
import { AwsClients } from '../../controllers/core/aws.js';
import { Controller } from '../../controllers/core/controller.js';
import { ConfigError } from '../../controllers/core/errors.js';
import { parsePolicy } from '../../controllers/core/policy.js';
import { logBucketRetention } from '../../controllers/log-bucket-retention/index.js';
import { accessLogBucketProblem, unversionedAccessLogBuckets } from '../../controllers/log-bucket-retention/infra.js';
import { ACCOUNT, CREDENTIALS, quietLogger } from '../helpers/emulator.js';
import { lifecycleEvent, OWNED, retentionSection } from '../helpers/log-bucket-retention.js';
import { policyWith } from '../helpers/policy.js';

// Not modelled by the emulator (moto 5.2.5): access denied by a bucket policy or an SCP, a bucket
// deleted between two reads, and lifecycle rules read back with TransitionDefaultMinimumObjectSize.

const s3Mock = mockClient(S3Client);
const denied = Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
const noBucket = Object.assign(new Error('gone'), { name: 'NoSuchBucket', $metadata: { httpStatusCode: 404 } });

function controller() {
  return new Controller({
    guardrails: [logBucketRetention],
    policy: parsePolicy(policyWith({ 'log-bucket-retention': retentionSection() }), [logBucketRetention]),
    account: ACCOUNT,
    clients: new AwsClients({ credentials: CREDENTIALS, maxAttempts: 1 }),
    logger: quietLogger(),
  });
}
const oneDay = { ID: 'cleanup', Status: 'Enabled' as const, Filter: {}, Expiration: { Days: 1 } };
const keep = { ID: 'tidy', Status: 'Enabled' as const, Filter: {}, NoncurrentVersionExpiration: { NoncurrentDays: 30 } };

describe('log-bucket-retention AWS calls (mocked)', () => {
  beforeEach(() => {
    s3Mock.reset();
    s3Mock.on(GetBucketLocationCommand).resolves({});
    s3Mock.on(GetBucketVersioningCommand).resolves({ Status: 'Enabled' });
    s3Mock.on(GetBucketPolicyCommand).rejects(Object.assign(new Error('none'), { name: 'NoSuchBucketPolicy' }));
  });

  it('a denied write fails, not retryable, naming the call and the runbook', async () => {
    s3Mock.on(GetBucketLifecycleConfigurationCommand).resolves({ Rules: [keep, oneDay] });
    s3Mock.on(PutBucketLifecycleConfigurationCommand).rejects(denied);
    const [record] = await controller().handleEvents([lifecycleEvent(OWNED, [oneDay])]);
    expect(record).toMatchObject({ outcome: 'failed', retryable: false });
    expect(record?.reason).toMatch(
      /s3:PutLifecycleConfiguration on log bucket .* was denied.*runbooks\/log-bucket-retention\.md/,
    );
  });

  it('a denied read fails, never compliant', async () => {
    s3Mock.on(GetBucketLifecycleConfigurationCommand).rejects(denied);
    const [record] = await controller().handleEvents([lifecycleEvent(OWNED, [oneDay])]);
    expect(record).toMatchObject({ outcome: 'failed', retryable: false });
    expect(record?.reason).toMatch(/s3:GetLifecycleConfiguration/);
  });

  it('a bucket deleted between the location and the other reads is skipped as missing', async () => {
    s3Mock.on(GetBucketLifecycleConfigurationCommand).rejects(noBucket);
    const [record] = await controller().handleEvents([lifecycleEvent(OWNED, [oneDay])]);
    expect(record).toMatchObject({ outcome: 'ignored' });
    expect(record?.reason).toMatch(/does not exist/);
  });

  it('the kept rules are written back exactly, with TransitionDefaultMinimumObjectSize as read', async () => {
    s3Mock
      .on(GetBucketLifecycleConfigurationCommand)
      .resolvesOnce({ Rules: [keep, oneDay], TransitionDefaultMinimumObjectSize: 'varies_by_storage_class' })
      .resolves({ Rules: [keep], TransitionDefaultMinimumObjectSize: 'varies_by_storage_class' });
    s3Mock.on(PutBucketLifecycleConfigurationCommand).resolves({});
    const [record] = await controller().handleEvents([lifecycleEvent(OWNED, [oneDay])]);
    expect(record).toMatchObject({ outcome: 'remediated', verified: true });
    expect(s3Mock.commandCalls(PutBucketLifecycleConfigurationCommand)[0]?.args[0].input).toEqual({
      Bucket: OWNED,
      LifecycleConfiguration: { Rules: [keep] },
      TransitionDefaultMinimumObjectSize: 'varies_by_storage_class',
    });
  });
});

describe('synth-time cross-check with the access-log bucket', () => {
  const retention = logBucketRetention.policySchema.parse({
    minimumRetentionDays: 400,
    buckets: [{ name: 'logwarden-access-logs-{account}-{region}', owner: 'logwarden' }],
  });
  const bucketLogging = bucketLoggingPolicySchema.parse({ logBucket: { prefix: 'logwarden-access-logs' } });
  const accessLog = accessLogBucketConfigSchema.parse({ expireAfterDays: 365 });

  it('a minimum above the stack bucket expiration fails, naming both fields', () => {
    const problem = accessLogBucketProblem(retention, bucketLogging, accessLog);
    expect(problem).toBeInstanceOf(ConfigError);
    expect(problem?.field).toBe('guardrails.log-bucket-retention.minimumRetentionDays');
    expect(problem?.message).toMatch(/400 is above member.accessLogBucket.expireAfterDays \(365\)/);
    expect(accessLogBucketProblem({ ...retention, minimumRetentionDays: 365 }, bucketLogging, accessLog)).toBeNull();
  });
  it('the access-log bucket marked member-owned fails; no access-log bucket, or not listed: nothing to check', () => {
    const asMember = {
      ...retention,
      minimumRetentionDays: 30,
      buckets: [{ name: retention.buckets[0]?.name ?? '', owner: 'member' as const }],
    };
    expect(accessLogBucketProblem(asMember, bucketLogging, accessLog)?.field).toBe(
      'guardrails.log-bucket-retention.buckets[0].owner',
    );
    expect(accessLogBucketProblem(retention, bucketLogging, { ...accessLog, enabled: false })).toBeNull();
    expect(accessLogBucketProblem(retention, undefined, accessLog)).toBeNull();
    const other = bucketLoggingPolicySchema.parse({ logBucket: { prefix: 'other-logs' } });
    expect(accessLogBucketProblem(retention, other, accessLog)).toBeNull();
  });
  it("the member stack's access-log bucket is versioned; an unversioned one is named", () => {
    const stack = new Stack(new App(), 'Member');
    const made = new AccessLogTargetBucket(stack, 'AccessLogs', { bucketName: 'access-logs-bucket', expireAfterDays: 365 });
    expect(unversionedAccessLogBuckets(stack)).toEqual([]);
    (made.bucket.node.defaultChild as { versioningConfiguration?: unknown }).versioningConfiguration = { status: 'Suspended' };
    expect(unversionedAccessLogBuckets(stack)).toEqual([made.node.path]);
  });
});
