/**
 * Flow logs across the organization (#17 item 3), at synth: the member stack's flow-log group and
 * delivery role are cross-checked with what the policy's templates resolve to in the deploying
 * account and region; the log-archive stack's central bucket and its policy, evaluated.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../controllers/companions.js';
import { deployFlowLogDestination, type FlowLogsConfig, flowLogsConfigSchema } from '../../controllers/flow-logs/infra.js';
import { type FlowLogsPolicy, flowLogsPolicySchema } from '../../controllers/flow-logs/policy.js';
import { type Deployment, DeploymentConfigError, loadDeployment } from '../../infra/config.js';
import { flowLogKeyPattern, LogArchiveStack } from '../../infra/log-archive-stack.js';
import { exampleConfig } from '../../infra/testing.js';
import { resolveIntrinsics } from '../helpers/intrinsics.js';
import { evaluate, type PolicyDocument, type RequestContext } from '../helpers/policy-eval.js';

const GROUP_TEMPLATE = 'arn:{partition}:logs:{region}:{account}:log-group:/logwarden/vpc-flow-logs';
const ROLE_TEMPLATE = 'arn:{partition}:iam::{account}:role/logwarden-flow-logs-{region}';
const cwlPolicy = (logGroupArn = GROUP_TEMPLATE, deliveryRoleArn = ROLE_TEMPLATE): FlowLogsPolicy =>
  flowLogsPolicySchema.parse({ destination: { type: 'cloud-watch-logs', logGroupArn, deliveryRoleArn } });
const cwlConfig: FlowLogsConfig = flowLogsConfigSchema.parse({ destination: 'cloud-watch-logs', retentionDays: 90 });

/** Deploy the hook into a fresh StackSet-like (environment-agnostic) stack; the error it throws, if any. */
function synthError(policy: FlowLogsPolicy, config: FlowLogsConfig, env?: { account: string; region: string }) {
  const stack = new Stack(new App(), 'Member', { env });
  try {
    deployFlowLogDestination(stack, config, policy);
    return { stack, error: undefined };
  } catch (error) {
    return { stack, error: error as DeploymentConfigError };
  }
}

describe('member stack: the created group and role are what the policy names (synth cross-check)', () => {
  it('templates match the member stack’s group and role, in the StackSet template and in a stack with an environment', () => {
    const { stack, error } = synthError(cwlPolicy(), cwlConfig);
    expect(error).toBeUndefined();
    Template.fromStack(stack).hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/logwarden/vpc-flow-logs' });
    expect(synthError(cwlPolicy(), cwlConfig, { account: '111111111111', region: 'eu-west-1' }).error).toBeUndefined();
    // The partition is not cross-checked: a literal `aws` is right where the partition is aws.
    const literalPartition = cwlPolicy(GROUP_TEMPLATE.replace('{partition}', 'aws'), ROLE_TEMPLATE.replace('{partition}', 'aws'));
    expect(synthError(literalPartition, cwlConfig).error).toBeUndefined();
  });

  it.each([
    [
      'a literal account (right in one account, wrong in every other)',
      cwlPolicy(GROUP_TEMPLATE.replace('{account}', '111111111111')),
      'guardrails.flow-logs.destination.logGroupArn resolves to arn:{partition}:logs:{region}:111111111111:log-group:/logwarden/vpc-flow-logs in each account and region, but the member stack creates arn:{partition}:logs:{region}:{account}:log-group:/logwarden/vpc-flow-logs',
    ],
    [
      'a literal region',
      cwlPolicy(GROUP_TEMPLATE, ROLE_TEMPLATE.replace('-{region}', '-us-east-1')),
      'guardrails.flow-logs.destination.deliveryRoleArn resolves to arn:{partition}:iam::{account}:role/logwarden-flow-logs-us-east-1 in each account and region, but the member stack creates arn:{partition}:iam::{account}:role/logwarden-flow-logs-{region}',
    ],
    [
      'another group name',
      cwlPolicy(GROUP_TEMPLATE.replace('/logwarden/vpc-flow-logs', '/vpc/flow-logs')),
      'guardrails.flow-logs.destination.logGroupArn resolves to arn:{partition}:logs:{region}:{account}:log-group:/vpc/flow-logs',
    ],
  ])('%s fails synth naming the field', (_case, policy, message) => {
    const { error } = synthError(policy, cwlConfig);
    expect(error).toBeInstanceOf(DeploymentConfigError);
    expect(error?.issues).toHaveLength(1);
    expect(error?.issues[0]).toContain(message);
  });

  it('S3: the policy’s bucket must be member.flowLogs.bucketArn; CloudWatch Logs in the policy needs the member stack’s group', () => {
    const s3Policy = flowLogsPolicySchema.parse({
      destination: { type: 's3', bucketArn: 'arn:aws:s3:::org-flow-logs', prefix: 'v' },
    });
    const s3Config = (bucketArn: string) => flowLogsConfigSchema.parse({ destination: 's3', bucketArn });
    expect(synthError(s3Policy, s3Config('arn:aws:s3:::org-flow-logs')).error).toBeUndefined();
    expect(synthError(s3Policy, s3Config('arn:aws:s3:::other-bucket')).error?.issues).toEqual([
      'guardrails.flow-logs.destination.bucketArn resolves to arn:aws:s3:::org-flow-logs in each account and region, but member.flowLogs.bucketArn is arn:aws:s3:::other-bucket',
    ]);
    expect(synthError(cwlPolicy(), s3Config('arn:aws:s3:::org-flow-logs')).error?.issues[0]).toMatch(
      /^guardrails\.flow-logs\.destination\.type is cloud-watch-logs but member\.flowLogs\.destination is s3/,
    );
    // `none`: the destination is someone else's; nothing to check, nothing created.
    const none = synthError(
      cwlPolicy(GROUP_TEMPLATE, 'arn:aws:iam::{account}:role/own'),
      flowLogsConfigSchema.parse({ destination: 'none' }),
    );
    expect(none.error).toBeUndefined();
    expect(none.stack.node.children).toHaveLength(0);
  });
});

const ORG = 'o-exampleorg1';
const ARCHIVE = '444444444444';
const BUCKET = 'example-org-vpc-flow-logs';
const MEMBER = '333333333333';

async function archiveDeployment(logArchive: Record<string, unknown>): Promise<Deployment> {
  return loadDeployment({ ...exampleConfig(), logArchive }, registry);
}

describe('log-archive stack: the central flow-log bucket', () => {
  let stack: LogArchiveStack;
  let template: Template;
  let bucketPolicy: PolicyDocument;
  beforeAll(async () => {
    const d = await archiveDeployment({ account: ARCHIVE, flowLogsBucket: BUCKET, retentionDays: 400 });
    const app = new App({ context: { '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true } });
    stack = new LogArchiveStack(app, 'Archive', { deployment: d, env: { account: ARCHIVE, region: 'us-east-1' } });
    template = Template.fromStack(stack);
    const policies = Object.values(template.findResources('AWS::S3::BucketPolicy')).filter(
      (p) =>
        JSON.stringify(p.Properties.Bucket).includes('FlowLogs') && !JSON.stringify(p.Properties.Bucket).includes('AccessLogs'),
    );
    expect(policies).toHaveLength(1);
    bucketPolicy = resolveIntrinsics(policies[0]?.Properties.PolicyDocument, {
      refs: { 'AWS::Partition': 'aws' },
      attributes: Object.fromEntries(
        Object.keys(template.findResources('AWS::S3::Bucket')).map((id) => [
          `${id}.Arn`,
          `arn:aws:s3:::${id.includes('AccessLogs') ? 'access-logs' : BUCKET}`,
        ]),
      ),
    }) as PolicyDocument;
  });

  it('is versioned, encrypted, private, owner-enforced, logged and retained', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: BUCKET,
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      LoggingConfiguration: { LogFilePrefix: 'flow-logs/' },
      LifecycleConfiguration: {
        Rules: [
          { Id: 'retention', ExpirationInDays: 400, NoncurrentVersionExpiration: { NoncurrentDays: 30 }, Status: 'Enabled' },
        ],
      },
    });
    const buckets = template.findResources('AWS::S3::Bucket');
    for (const b of Object.values(buckets)) expect(b.DeletionPolicy).toBe('Retain');
  });

  it('cdk-nag finds nothing unacknowledged', () => {
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.resourceLogicalId)}`)).toEqual([]);
  });

  const PREFIX = 'vpc-flow-logs';
  const key = (account: string) =>
    `arn:aws:s3:::${BUCKET}/${PREFIX}/AWSLogs/${account}/vpcflowlogs/us-east-1/2026/11/30/x.log.gz`;
  const delivery = (overrides: Partial<RequestContext['context']> = {}, action = 's3:PutObject', resource = key(MEMBER)) =>
    evaluate([bucketPolicy], {
      action,
      resource,
      context: {
        'aws:PrincipalServiceName': 'delivery.logs.amazonaws.com',
        'aws:SourceOrgID': ORG,
        'aws:SourceAccount': MEMBER,
        's3:x-amz-acl': 'bucket-owner-full-control',
        'aws:SecureTransport': 'true',
        ...overrides,
      },
    });

  it('log delivery for an organization account may check the bucket and write under the policy’s prefix', () => {
    expect(delivery()).toBe('allowed');
    expect(delivery({}, 's3:GetBucketAcl', `arn:aws:s3:::${BUCKET}`)).toBe('allowed');
    expect(delivery({}, 's3:ListBucket', `arn:aws:s3:::${BUCKET}`)).toBe('allowed');
  });

  it('refuses delivery for another organization, without the owner ACL, outside the prefix, or without TLS', () => {
    expect(delivery({ 'aws:SourceOrgID': 'o-otherorg999' })).toBe('implicit-deny');
    expect(delivery({ 'aws:SourceOrgID': undefined })).toBe('implicit-deny');
    expect(delivery({ 'aws:SourceOrgID': 'o-otherorg999' }, 's3:GetBucketAcl', `arn:aws:s3:::${BUCKET}`)).toBe('implicit-deny');
    expect(delivery({ 's3:x-amz-acl': undefined })).toBe('implicit-deny');
    expect(delivery({}, 's3:PutObject', `arn:aws:s3:::${BUCKET}/elsewhere/x`)).toBe('implicit-deny');
    expect(delivery({ 'aws:SecureTransport': 'false' })).toBe('explicit-deny');
    expect(delivery({}, 's3:DeleteObject')).toBe('implicit-deny');
  });

  it('refuses a principal that is not the log-delivery service, even from the organization', () => {
    const admin = `arn:aws:iam::${MEMBER}:role/admin`;
    const asAdmin = (action: string, resource: string) =>
      evaluate([bucketPolicy], {
        principal: admin,
        action,
        resource,
        context: {
          'aws:PrincipalArn': admin,
          'aws:PrincipalOrgID': ORG,
          'aws:SecureTransport': 'true',
          's3:x-amz-acl': 'bucket-owner-full-control',
        },
      });
    expect(asAdmin('s3:PutObject', key(MEMBER))).toBe('implicit-deny');
    expect(asAdmin('s3:ListBucket', `arn:aws:s3:::${BUCKET}`)).toBe('implicit-deny');
    expect(delivery({ 'aws:PrincipalServiceName': 'cloudtrail.amazonaws.com' })).toBe('implicit-deny');
  });

  it('the key pattern follows the policy’s prefix, its placeholders as wildcards', () => {
    expect(flowLogKeyPattern(undefined)).toBe('AWSLogs/*');
    expect(flowLogKeyPattern('vpc/{account}/{region}')).toBe('vpc/*/*/AWSLogs/*');
  });

  it('the policy must deliver to the archive’s bucket, or synth fails naming both fields', async () => {
    const d = await archiveDeployment({ account: ARCHIVE, flowLogsBucket: 'another-bucket' });
    expect(() => new LogArchiveStack(new App(), 'Archive', { deployment: d })).toThrow(
      'guardrails.flow-logs.destination.bucketArn names bucket example-org-vpc-flow-logs, but logArchive.flowLogsBucket is another-bucket',
    );
    await expect(archiveDeployment({ account: ARCHIVE, flowLogsBucket: 'Bad_Bucket' })).rejects.toThrow(
      /logArchive\.flowLogsBucket/,
    );
  });
});
