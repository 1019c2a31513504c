import { Stack, type aws_s3 as s3 } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { guardrailInfra } from '../../infra/guardrail-infra.js';
import { logBucketName } from '../bucket-logging/events.js';
import { type AccessLogBucketConfig, AccessLogTargetBucket } from '../bucket-logging/infra.js';
import type { BucketLoggingPolicy } from '../bucket-logging/policy.js';
import { ConfigError } from '../core/errors.js';
import type { LogBucketRetentionPolicy } from './policy.js';

const FIELD = 'guardrails.log-bucket-retention';

/**
 * The access-log bucket the member stack creates must pass this guardrail, or logwarden would remove
 * its own lifecycle rule: when the policy lists it, it is logwarden's and keeps logs at least
 * `minimumRetentionDays`. Null when the stack creates no access-log bucket or the policy does not
 * list it. Pure.
 */
export function accessLogBucketProblem(
  retention: LogBucketRetentionPolicy,
  bucketLogging: BucketLoggingPolicy | undefined,
  accessLog: AccessLogBucketConfig | undefined,
): ConfigError | null {
  if (!bucketLogging || !accessLog?.enabled) return null;
  const template = logBucketName(bucketLogging, '{account}', '{region}');
  const index = retention.buckets.findIndex((b) => b.name === template);
  const listed = retention.buckets[index];
  if (!listed) return null;
  if (listed.owner !== 'logwarden') {
    return new ConfigError(
      `${FIELD}.buckets[${index}].owner`,
      `${template} is the access-log bucket logwarden's member stack creates (member.accessLogBucket): mark it "logwarden"`,
    );
  }
  if (retention.minimumRetentionDays > accessLog.expireAfterDays) {
    return new ConfigError(
      `${FIELD}.minimumRetentionDays`,
      `${retention.minimumRetentionDays} is above member.accessLogBucket.expireAfterDays (${accessLog.expireAfterDays}): the stack's own expiration rule would be removed as too short; lower one or raise the other`,
    );
  }
  return null;
}

/** The member stack's access-log buckets that are not versioned (read from the synthesized resource). */
export function unversionedAccessLogBuckets(root: IConstruct): string[] {
  return root.node
    .findAll()
    .filter((c): c is AccessLogTargetBucket => c instanceof AccessLogTargetBucket)
    .filter((c) => {
      const cfn = c.bucket.node.defaultChild as s3.CfnBucket;
      const versioning = cfn.versioningConfiguration as s3.CfnBucket.VersioningConfigurationProperty | undefined;
      return versioning?.status !== 'Enabled';
    })
    .map((c) => c.node.path);
}

/**
 * No resources: a synth-time cross-check with the bucket-logging guardrail's access-log bucket
 * (`member.accessLogBucket`), which this guardrail governs when the policy lists it.
 */
export const infra = guardrailInfra<LogBucketRetentionPolicy>({
  deploy(scope, { deployment, policy }) {
    const bucketLogging = deployment.policy.guardrails['bucket-logging'] as BucketLoggingPolicy | undefined;
    const accessLog = deployment.hooks.get('bucket-logging')?.config as AccessLogBucketConfig | undefined;
    const problem = accessLogBucketProblem(policy, bucketLogging, accessLog);
    if (problem) throw problem;
    if (!accessLog?.enabled || !bucketLogging) return;
    const template = logBucketName(bucketLogging, '{account}', '{region}');
    if (!policy.buckets.some((b) => b.name === template)) return;
    // At synth, whatever order the guardrails' infrastructure was added in.
    scope.node.addValidation({
      validate: () =>
        unversionedAccessLogBuckets(Stack.of(scope)).map(
          (path) => `${FIELD}: the access-log bucket ${path} must be versioned (this guardrail requires versioning on it)`,
        ),
    });
  },
});
