import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnRole } from 'aws-cdk-lib/aws-iam';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../controllers/companions.js';
import { functionRoleName } from '../../controllers/core/identity.js';
import { sweepScheduleOf } from '../../controllers/core/policy.js';
import { CANARY_IAM_ACTIONS } from '../../controllers/heartbeat/canary.js';
import { HEARTBEAT_IAM_ACTIONS } from '../../controllers/heartbeat/index.js';
import { buildApp } from '../../infra/app.js';
import { DeploymentConfigError, loadDeployment, ROOT } from '../../infra/config.js';
import { MemberStack, STATE_TABLE_ACTIONS, STATE_TABLE_NAME } from '../../infra/member-stack.js';
import { READ_ACTION } from '../../infra/permissions.js';
import { assetBucketName } from '../../infra/rollout.js';
import { exampleConfig, readTemplate, synthExample } from '../../infra/testing.js';
import { actionsOf, statementsOf } from '../helpers/iam.js';

type Built = Awaited<ReturnType<typeof synthExample>>;
let built: Built;
let member: Template;
let central: Template;
let rollout: Template;

beforeAll(async () => {
  built = await synthExample({ nag: false });
  member = Template.fromJSON(readTemplate(built.templateFile));
  central = Template.fromStack(built.central);
  rollout = Template.fromStack(built.rollout);
}, 240_000);

describe('member stack (the StackSet template)', () => {
  it('deploys every guardrail the policy enables, each with its own function, DLQ, alarm, rules and Config rule', () => {
    expect(built.deployment.guardrails.map((g) => g.name).sort()).toEqual(registry.guardrails.map((g) => g.name).sort());
    for (const g of built.deployment.guardrails) {
      member.hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: `logwarden-${g.name}`,
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        Environment: { Variables: { LOGWARDEN_ACCOUNT_ID: { Ref: 'AWS::AccountId' } } },
        DeadLetterConfig: { TargetArn: Match.anyValue() },
        LoggingConfig: Match.objectLike({ LogFormat: 'JSON' }),
      });
      member.hasResourceProperties('AWS::Lambda::Function', { FunctionName: `logwarden-${g.name}-config-rule` });
      member.hasResourceProperties('AWS::Logs::LogGroup', {
        LogGroupName: `/aws/lambda/logwarden-${g.name}`,
        RetentionInDays: 365,
      });
      member.hasResourceProperties('AWS::SQS::Queue', { QueueName: `logwarden-${g.name}-dlq`, SqsManagedSseEnabled: true });
      member.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `logwarden-${g.name}-dlq`,
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Threshold: 1,
      });
      member.hasResourceProperties('AWS::Events::Rule', {
        Name: `logwarden-sweep-${g.name}`,
        ScheduleExpression: sweepScheduleOf(built.deployment.policy, g),
      });
      member.hasResourceProperties('AWS::Events::Rule', {
        Name: `logwarden-${g.name}-compliance`,
        EventPattern: Match.objectLike({ detail: Match.objectLike({ configRuleName: [`logwarden-${g.name}`] }) }),
      });
      member.hasResourceProperties('AWS::Events::Rule', {
        Name: `logwarden-${g.name}-cloudtrail`,
        EventPattern: Match.objectLike({ source: [g.cloudTrailEvents[0]?.source] }),
        Targets: [Match.objectLike({ DeadLetterConfig: Match.anyValue(), RetryPolicy: Match.anyValue() })],
      });
      member.hasResourceProperties('AWS::Config::ConfigRule', {
        ConfigRuleName: `logwarden-${g.name}`,
        Scope: { ComplianceResourceTypes: [g.resourceType] },
        Source: Match.objectLike({ Owner: 'CUSTOM_LAMBDA' }),
      });
    }
    // Async retries of the controllers.
    member.resourcePropertiesCountIs(
      'AWS::Lambda::EventInvokeConfig',
      { MaximumRetryAttempts: 2 },
      built.deployment.guardrails.length,
    );
  });

  it('sweeps CloudTrail, the Config recorder and logwarden’s own integrity every 15 minutes by default, the others on the policy’s controller.sweepSchedule', () => {
    const schedules = Object.fromEntries(
      Object.values(readTemplate(built.templateFile).Resources)
        .filter((r) => r.Type === 'AWS::Events::Rule' && String(r.Properties?.Name).startsWith('logwarden-sweep-'))
        .map((r) => [r.Properties?.Name, r.Properties?.ScheduleExpression]),
    );
    expect(built.deployment.policy.controller.sweepSchedule).toBe('rate(6 hours)');
    const fast = new Set(['cloudtrail', 'config-recorder', 'integrity']);
    expect(schedules).toEqual(
      Object.fromEntries(
        registry.guardrails.map((g) => [`logwarden-sweep-${g.name}`, fast.has(g.name) ? 'rate(15 minutes)' : 'rate(6 hours)']),
      ),
    );
  });

  it('gives every function role a fixed name per region, and its CloudTrail rules leave out exactly the policy’s roles', () => {
    const stack = built.template as MemberStack;
    for (const f of stack.functions) {
      const role = stack.resolve((f.role.node.defaultChild as CfnRole).roleName);
      expect(role).toEqual({ 'Fn::Join': ['', [`${functionRoleName(f.kind, f.guardrail, '')}`, { Ref: 'AWS::Region' }]] });
    }
    const rule = Object.values(readTemplate(built.templateFile).Resources).find(
      (r) => r.Type === 'AWS::Events::Rule' && r.Properties?.Name === 'logwarden-cloudtrail-cloudtrail',
    );
    const own = (g: string) => ({
      'Fn::Join': [
        '',
        ['arn:aws:iam::', { Ref: 'AWS::AccountId' }, `:role/logwarden/logwarden-${g}-controller-`, { Ref: 'AWS::Region' }],
      ],
    });
    expect(JSON.stringify(rule?.Properties?.EventPattern)).toContain(
      JSON.stringify({ 'anything-but': registry.guardrails.map((g) => own(g.name)) }),
    );
  });

  it('lets the CloudTrail controller act on the organization trail: the Organizations reads and its service-linked role only', () => {
    const stack = built.template as MemberStack;
    const controller = stack.functions.find((f) => f.guardrail === 'cloudtrail' && f.kind === 'controller');
    if (!controller) throw new Error('no cloudtrail controller');
    const statements = statementsOf(member, stack, controller.role);
    const allowing = (action: string) =>
      statements.filter((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]).includes(action)).map((s) => s.Resource);
    expect(allowing('organizations:DescribeOrganization')).toEqual(['*']);
    expect(allowing('organizations:ListAWSServiceAccessForOrganization')).toEqual(['*']);
    // The example's organization trail is owned by 111111111111: only there do the IAM actions grant anything.
    // In the stack's partition (#17).
    const slr = {
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':iam::111111111111:role/aws-service-role/cloudtrail.amazonaws.com/AWSServiceRoleForCloudTrail',
        ],
      ],
    };
    expect(allowing('iam:CreateServiceLinkedRole')).toEqual([slr]);
    expect(allowing('iam:GetRole')).toEqual([slr]);
    // No other function gets them.
    for (const f of stack.functions.filter((x) => x !== controller)) {
      const other = statementsOf(member, stack, f.role);
      expect(
        actionsOf(other).filter((a) => a.startsWith('organizations:')),
        f.functionName,
      ).toEqual([]);
      expect(JSON.stringify(other)).not.toContain('AWSServiceRoleForCloudTrail');
    }
  });

  it('has the heartbeat on its own schedule, not named like a sweep', () => {
    member.hasResourceProperties('AWS::Lambda::Function', { FunctionName: 'logwarden-heartbeat', Runtime: 'nodejs22.x' });
    member.hasResourceProperties('AWS::Events::Rule', { Name: 'logwarden-heartbeat', ScheduleExpression: 'rate(15 minutes)' });
  });

  it('creates the access-log target bucket the bucket-logging policy points at: SSE-S3, owner enforced, TLS only, source account', () => {
    member.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: { 'Fn::Join': ['', ['logwarden-access-logs-', { Ref: 'AWS::AccountId' }, '-', { Ref: 'AWS::Region' }]] },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: 365 })]) },
      ObjectLockEnabled: Match.absent(),
    });
    member.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Principal: { Service: 'logging.s3.amazonaws.com' },
            Action: 's3:PutObject',
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          }),
        ]),
      },
    });
  });

  it('has no nested stacks, no CDK metadata, no bootstrap-version rule and no parameters', () => {
    const json = readTemplate(built.templateFile);
    const types = Object.values(json.Resources).map((r) => r.Type);
    expect(types).not.toContain('AWS::CloudFormation::Stack');
    expect(types).not.toContain('AWS::CDK::Metadata');
    expect(json.Rules).toBeUndefined();
    expect(json.Parameters).toBeUndefined();
  });

  it('every function role has exactly the declared actions (least privilege), on the /logwarden/ path', () => {
    const stack = built.template as MemberStack;
    expect(stack.functions.length).toBe(built.deployment.guardrails.length * 2 + 1);
    // The example policy names an audit signing key: the publishing functions (controllers, heartbeat) sign.
    const signingKey = built.deployment.policy.audit.signingKey;
    expect(signingKey).toBeDefined();
    const sign = ['kms:Sign'];
    for (const f of stack.functions) {
      const statements = statementsOf(member, stack, f.role);
      member.hasResourceProperties('AWS::IAM::Role', { Path: '/logwarden/' });
      for (const a of actionsOf(statements)) expect(a, `${f.functionName}: ${a}`).not.toContain('*');
      const g = registry.guardrails.find((x) => x.name === f.guardrail);
      const infra = ['logs:CreateLogStream', 'logs:PutLogEvents'];
      if (f.kind === 'controller' && g) {
        const section = built.deployment.policy.guardrails[g.name];
        // On `*` only the actions the guardrail justifies; every other declared action is scoped (#17).
        const guardrailStatement = statements.find((s) => s.Sid === 'GuardrailActions');
        const justified = g.unscopedActions.flatMap((u) => [...u.actions]);
        expect(actionsOf(guardrailStatement ? [guardrailStatement] : [])).toEqual([...justified].sort());
        const scoped = (g.scopedPermissions?.(section) ?? []).flatMap((s) => s.actions);
        expect([...new Set([...justified, ...scoped.filter((a) => g.iamActions.includes(a))])].sort()).toEqual(
          [...g.iamActions].sort(),
        );
        expect(actionsOf(statements)).toEqual(
          [
            ...new Set([
              ...g.iamActions,
              ...scoped,
              ...infra,
              ...STATE_TABLE_ACTIONS,
              'events:PutEvents',
              'sqs:SendMessage',
              ...sign,
            ]),
          ].sort(),
        );
        // The flap/lease state: only the three item calls, only on the stack's own table.
        const state = statements.find((s) => s.Sid === 'ControllerState');
        expect(actionsOf(state ? [state] : [])).toEqual([...STATE_TABLE_ACTIONS].sort());
        expect(JSON.stringify(state?.Resource)).toMatch(/State/);
      } else if (f.kind === 'config-rule' && g) {
        const reads = g.iamActions.filter((a) => READ_ACTION.test(a));
        expect(reads.length).toBeGreaterThan(0);
        // The evaluator never writes: only the guardrail's reads.
        expect(actionsOf(statements)).toEqual(
          [...new Set([...reads, ...infra, 'config:PutEvaluations', 'sqs:SendMessage'])].sort(),
        );
      } else {
        // The heartbeat's health check: exactly its declared reads, plus the event path canary's tag
        // write and state items (scoped and evaluated: test/infra/manifest.test.ts).
        expect(actionsOf(statements)).toEqual(
          [
            ...new Set([
              ...HEARTBEAT_IAM_ACTIONS,
              ...CANARY_IAM_ACTIONS,
              ...STATE_TABLE_ACTIONS,
              ...infra,
              'events:PutEvents',
              ...sign,
            ]),
          ].sort(),
        );
      }
      const publish = statements.find((s) => s.Sid === 'PublishAuditRecords');
      if (publish) expect(publish.Resource).toBe(built.deployment.bus.arn);
      // Signing goes with publishing, on the one key only.
      const signs = statements.find((s) => s.Sid === 'SignAuditRecords');
      expect(signs?.Resource, f.functionName).toBe(publish ? signingKey : undefined);
    }
  });

  it('gives the controllers a state table with a TTL for flapping history and leases, and tells them its name', () => {
    member.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: STATE_TABLE_NAME,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
    for (const f of (built.template as MemberStack).functions) {
      const env = member.findResources('AWS::Lambda::Function', { Properties: { FunctionName: f.functionName } }) as Record<
        string,
        { Properties: { Environment?: { Variables?: Record<string, unknown> } } }
      >;
      const vars = Object.values(env)[0]?.Properties.Environment?.Variables ?? {};
      // The heartbeat keeps its event path canary there (#13 item 5).
      if (f.kind === 'controller' || f.kind === 'heartbeat') expect(vars.LOGWARDEN_STATE_TABLE, f.functionName).toBeDefined();
      else expect(vars.LOGWARDEN_STATE_TABLE, f.functionName).toBeUndefined();
    }
  });

  it('bundles the validated policy document next to each function’s code, in the zip deployed as is', () => {
    for (const f of (built.template as MemberStack).functions) {
      expect(readFileSync(join(f.bundle.dir, 'policy.json'), 'utf8')).toBe(built.deployment.policyJson);
      expect(f.bundle.zipFile.endsWith('.zip')).toBe(true);
      expect(f.bundle.bytes).toBeGreaterThan(10_000);
      expect(f.bundle.gzipBytes).toBeLessThan(f.bundle.bytes);
    }
  });

  it('every function’s code location resolves in each target region to an object the rollout publishes there', () => {
    const json = readTemplate(built.templateFile);
    const fns = Object.values(json.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    const manifest = JSON.parse(readFileSync(join(built.outdir, 'LogwardenMemberCode.assets.json'), 'utf8')) as {
      files: Record<
        string,
        { source: { path: string }; destinations: Record<string, { bucketName: string; objectKey: string; region: string }> }
      >;
    };
    const cloudManifest = JSON.parse(readFileSync(join(built.outdir, 'manifest.json'), 'utf8')) as {
      artifacts: Record<string, { type: string; dependencies?: string[] }>;
    };
    expect(cloudManifest.artifacts.LogwardenRollout?.dependencies).toContain('LogwardenMemberCode');
    expect(cloudManifest.artifacts.LogwardenMemberCode?.type).toBe('cdk:asset-manifest');
    for (const region of built.deployment.config.rollout.regions) {
      const bucketStack = built.assetBuckets.find((s) => s.region === region);
      expect(bucketStack).toBeDefined();
      Template.fromStack(bucketStack as Stack).hasResourceProperties('AWS::S3::BucketPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: ['s3:GetObject', 's3:GetObjectVersion'],
              Condition: { StringEquals: { 'aws:PrincipalOrgID': built.deployment.config.organizationId } },
            }),
          ]),
        },
      });
      for (const fn of fns) {
        const code = fn.Properties?.Code as { S3Bucket: { 'Fn::Sub': string }; S3Key: string };
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub variable, substituted here.
        const bucket = code.S3Bucket['Fn::Sub'].replace('${AWS::Region}', region);
        expect(bucket).toBe(assetBucketName(built.deployment.config.adminAccount, region));
        Template.fromStack(bucketStack as Stack).hasResourceProperties('AWS::S3::Bucket', { BucketName: bucket });
        const entry = Object.values(manifest.files).find((f) =>
          Object.values(f.destinations).some((d) => d.region === region && d.bucketName === bucket && d.objectKey === code.S3Key),
        );
        expect(entry, `${code.S3Key} published to ${region}`).toBeDefined();
        expect(existsSync(join(built.outdir, entry?.source.path ?? 'missing'))).toBe(true);
      }
    }
  });
});

describe('guardrail infra hooks in the member stack', () => {
  /** A member stack for a variant of the example deployment, built with the app's bundles. */
  async function variant(member: Record<string, unknown>, editPolicy?: (doc: Policy) => void): Promise<Template> {
    const cfg = exampleConfig();
    let policyFile = cfg.policyFile as string;
    if (editPolicy) {
      const doc = JSON.parse(readFileSync(join(ROOT, policyFile), 'utf8')) as Policy;
      editPolicy(doc);
      policyFile = join(mkdtempSync(join(tmpdir(), 'lw-policy-')), 'policy.json');
      writeFileSync(policyFile, JSON.stringify(doc));
    }
    const d = await loadDeployment({ ...cfg, policyFile, member: { ...(cfg.member as object), ...member } }, registry);
    return Template.fromStack(new MemberStack(new App(), 'Variant', { deployment: d, bundler: built.bundler }));
  }
  type Policy = { controller: { ownRoleArns: string[] }; guardrails: Record<string, Record<string, unknown>> };

  it('flow-logs/infra.ts creates the flow-log group and delivery role when flow logs go to CloudWatch Logs, and nothing for S3', async () => {
    // The policy names the member stack's group and role by template (#17 item 3; a mismatch fails synth: flow-logs-org.test.ts).
    const cwl = await variant({ flowLogs: { destination: 'cloud-watch-logs', retentionDays: 90 } }, (doc) => {
      doc.guardrails['flow-logs'] = {
        ...doc.guardrails['flow-logs'],
        destination: {
          type: 'cloud-watch-logs',
          logGroupArn: 'arn:{partition}:logs:{region}:{account}:log-group:/logwarden/vpc-flow-logs',
          deliveryRoleArn: 'arn:{partition}:iam::{account}:role/logwarden-flow-logs-{region}',
        },
      };
    });
    cwl.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/logwarden/vpc-flow-logs', RetentionInDays: 90 });
    cwl.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'vpc-flow-logs.amazonaws.com' } })],
        Version: Match.anyValue(),
      },
    });
    member.resourcePropertiesCountIs('AWS::Logs::LogGroup', { LogGroupName: '/logwarden/vpc-flow-logs' }, 0);
  });

  it('bucket-logging/infra.ts names the bucket from the policy’s logBucket template, and creates none when turned off or not enabled', async () => {
    const acme = await variant({}, (doc) => {
      doc.guardrails['bucket-logging'] = {
        ...doc.guardrails['bucket-logging'],
        logBucket: { prefix: 'acme', template: '{prefix}-logs-{region}-{account}' },
      };
    });
    acme.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: { 'Fn::Join': ['', ['acme-logs-', { Ref: 'AWS::Region' }, '-', { Ref: 'AWS::AccountId' }]] },
    });
    (await variant({ accessLogBucket: { enabled: false } })).resourceCountIs('AWS::S3::Bucket', 0);
    const disabled = await variant({}, (doc) => {
      delete doc.guardrails['bucket-logging'];
      // Its controller's role is no longer created, so the policy must no longer trust it.
      doc.controller.ownRoleArns = doc.controller.ownRoleArns.filter((arn) => !arn.includes('bucket-logging'));
    });
    disabled.resourceCountIs('AWS::S3::Bucket', 0);
    disabled.resourcePropertiesCountIs('AWS::Lambda::Function', { FunctionName: 'logwarden-bucket-logging' }, 0);
  });
});

describe('central stack', () => {
  it('audit bus has one policy (evaluated in bus-policy.test.ts)', () => {
    central.hasResourceProperties('AWS::Events::EventBus', { Name: 'logwarden-audit' });
    central.resourceCountIs('AWS::Events::EventBusPolicy', 2);
  });

  it('routes audit records to a KMS stream and a log group; Firehose archives the stream with Object Lock', () => {
    central.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamEncryption: { EncryptionType: 'KMS', KeyId: Match.anyValue() },
    });
    central.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['logwarden'], 'detail-type': ['logwarden audit record'] },
      Targets: Match.arrayWith([
        Match.objectLike({ KinesisParameters: { PartitionKeyPath: '$.account' } }),
        Match.objectLike({ Id: 'AuditLogGroup' }),
      ]),
    });
    central.hasResourceProperties('AWS::Logs::ResourcePolicy', Match.anyValue());
    central.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockEnabled: true,
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 365 } } },
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          Match.objectLike({ ServerSideEncryptionByDefault: Match.objectLike({ SSEAlgorithm: 'aws:kms' }) }),
        ],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    central.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamType: 'KinesisStreamAsSource',
      ExtendedS3DestinationConfiguration: Match.objectLike({
        EncryptionConfiguration: { KMSEncryptionConfig: Match.anyValue() },
        ProcessingConfiguration: { Enabled: true, Processors: [Match.objectLike({ Type: 'AppendDelimiterToRecord' })] },
      }),
    });
  });

  it('has the dashboard, failure, escalation and missing-heartbeat alarms to an encrypted topic, and the org aggregator', () => {
    central.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'logwarden' });
    central.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'logwarden-remediation-failures',
      AlarmActions: [Match.anyValue()],
    });
    central.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'logwarden-escalations',
      AlarmActions: [Match.anyValue()],
    });
    // Counted from the origin check's admitted lines, in total and per envelope account (test/infra/origin-check.test.ts).
    central.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ ($.verdict = "admitted") && ($.outcome = "escalated") }',
      MetricTransformations: [
        Match.objectLike({ MetricName: 'Escalations', Dimensions: [{ Key: 'account', Value: '$.account' }] }),
      ],
    });
    // Exempt records feed a central metric; its alarm tells the topic while exemptions are in use.
    central.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ ($.verdict = "admitted") && ($.outcome = "exempt") }',
      MetricTransformations: [Match.objectLike({ MetricNamespace: 'logwarden', MetricName: 'Exemptions', MetricValue: '1' })],
    });
    central.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'logwarden-exemptions-in-use',
      MetricName: 'Exemptions',
      Namespace: 'logwarden',
      Statistic: 'Sum',
      Period: 3600,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [Match.anyValue()],
    });
    // Silent deployments: the heartbeat monitor's alarm per account and region (test/infra/heartbeat-monitor.test.ts).
    central.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'logwarden-missing-heartbeats',
      MetricName: 'MissingHeartbeats',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'breaching',
    });
    central.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    central.hasResourceProperties('AWS::Config::ConfigurationAggregator', {
      OrganizationAggregationSource: Match.objectLike({ AwsRegions: ['us-east-1', 'eu-west-1'] }),
    });
  });
});

describe('organization rollout', () => {
  it('is a service-managed StackSet with auto-deployment, operation preferences and managed execution', () => {
    rollout.hasResourceProperties('AWS::CloudFormation::StackSet', {
      PermissionModel: 'SERVICE_MANAGED',
      CallAs: 'SELF',
      AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
      ManagedExecution: { Active: true },
      OperationPreferences: { RegionConcurrencyType: 'PARALLEL', FailureTolerancePercentage: 10, MaxConcurrentPercentage: 25 },
      StackInstancesGroup: [
        { DeploymentTargets: { OrganizationalUnitIds: ['ou-exam-11111111'] }, Regions: ['us-east-1', 'eu-west-1'] },
      ],
      TemplateURL: Match.anyValue(),
    });
  });

  it('lists the regions it does not govern as an output', () => {
    const output = Object.values(rollout.findOutputs('UngovernedRegions'))[0] as { Value: string };
    const regions = output.Value.split(',');
    expect(regions).toContain('ap-south-1');
    expect(regions).not.toContain('us-east-1');
    expect(regions).not.toContain('eu-west-1');
  });

  it('also deploys the member stack directly in the management account, per region', () => {
    expect(built.management.map((s) => [s.account, s.region])).toEqual([
      ['111111111111', 'us-east-1'],
      ['111111111111', 'eu-west-1'],
    ]);
  });
});

function acknowledgementsUnder(scope: IConstruct): { id: string; reason: string }[] {
  return scope.node
    .findAll()
    .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
    .flatMap((m) => Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ id, reason })));
}

describe('cdk-nag AwsSolutions', () => {
  it('has no unacknowledged finding in any stack, and every acknowledgement carries a reason', async () => {
    const nagged = await buildApp({ outdir: built.outdir, config: exampleConfig(), nag: false });
    const stacks: IConstruct[] = [nagged.template, nagged.central, nagged.rollout, ...nagged.assetBuckets, ...nagged.management];
    for (const stack of stacks) {
      const report = new AwsSolutionsChecks().validateScope(stack);
      const findings = report.violations.map(
        (v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.resourceLogicalId).join(',')}`,
      );
      expect(findings, (stack as Stack).stackName).toEqual([]);
      for (const a of acknowledgementsUnder(stack)) expect(a.reason.length, a.id).toBeGreaterThan(30);
    }
    expect(acknowledgementsUnder(nagged.template).length).toBeGreaterThan(3);
    // A second whole-app build (every bundle compiled again, the central heartbeat monitor's included) and
    // nag over every stack: about a minute on a loaded 2-core machine.
  }, 180_000);

  it('the checker does find something in an unhardened stack (the check above can fail)', () => {
    const stack = new Stack(undefined, 'Unhardened');
    new Bucket(stack, 'Plain');
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(report.violations.map((v) => v.ruleName)).toEqual(
      expect.arrayContaining([expect.stringContaining('AwsSolutions-S1')]),
    );
  });
});

describe('deployment config', () => {
  it('rejects a policy whose audit bus is not the central one, own roles that miss the functions, and ungoverned regions', async () => {
    const cfg = exampleConfig();
    const bad = { ...cfg, central: { ...(cfg.central as object), account: '333333333333' } };
    await expect(loadDeployment(bad, registry)).rejects.toThrow(DeploymentConfigError);
    const rollout = { ...(cfg.rollout as object), regions: ['us-east-1', 'ap-south-1'] };
    await expect(loadDeployment({ ...cfg, rollout }, registry)).rejects.toThrow(/ap-south-1 is not in the policy/);
    await expect(loadDeployment({ ...cfg, organizationId: 'nope' }, registry)).rejects.toThrow(/organizationId/);
    expect((await loadDeployment(cfg, registry)).guardrails.length).toBe(registry.guardrails.length);
  });

  it('requires the policy to name exactly the controllers’ roles: none missing, none extra, no wildcard', async () => {
    const cfg = exampleConfig();
    const policy = JSON.parse(readFileSync(join(ROOT, cfg.policyFile as string), 'utf8'));
    const withOwnRoles = (ownRoleArns: string[]) => {
      const file = join(mkdtempSync(join(tmpdir(), 'lw-own-roles-')), 'policy.json');
      writeFileSync(file, JSON.stringify({ ...policy, controller: { ...policy.controller, ownRoleArns } }));
      return { ...cfg, policyFile: file };
    };
    const exact = policy.controller.ownRoleArns as string[];
    await expect(loadDeployment(withOwnRoles(exact.slice(1)), registry)).rejects.toThrow(
      /ownRoleArns must name arn:aws:iam::\{account\}:role\/logwarden\/logwarden-cloudtrail-controller-\{region\}/,
    );
    // The evaluator's role is logwarden's too, but it never writes: trusting it would only widen the trusted set.
    const evaluator = 'arn:aws:iam::{account}:role/logwarden/logwarden-cloudtrail-config-rule-{region}';
    await expect(loadDeployment(withOwnRoles([...exact, evaluator]), registry)).rejects.toThrow(
      /names arn:aws:iam::\{account\}:role\/logwarden\/logwarden-cloudtrail-config-rule-\{region\}, which is not one of the controllers' roles/,
    );
    await expect(loadDeployment(withOwnRoles(['arn:aws:iam::*:role/logwarden/*']), registry)).rejects.toThrow(
      /controller\.ownRoleArns\[0\]: must name one exact role/,
    );
    expect((await loadDeployment(withOwnRoles(exact), registry)).policy.controller.ownRoleArns).toEqual(exact);
  });

  it('validates the member sections the guardrails’ infra hooks own with their schemas, and still refuses unknown keys', async () => {
    const cfg = exampleConfig();
    const member = cfg.member as Record<string, unknown>;
    const d = await loadDeployment(cfg, registry);
    expect(d.hooks.get('flow-logs')?.config).toEqual(member.flowLogs);
    expect(d.hooks.get('bucket-logging')?.config).toEqual(member.accessLogBucket);
    const withMember = (m: Record<string, unknown>) => ({ ...cfg, member: { ...member, ...m } });
    await expect(loadDeployment(withMember({ flowLogs: { destination: 'kinesis' } }), registry)).rejects.toThrow(
      /member\.flowLogs/,
    );
    await expect(loadDeployment(withMember({ accessLogBucket: { expireAfterDays: 0 } }), registry)).rejects.toThrow(
      /member\.accessLogBucket\.expireAfterDays/,
    );
    await expect(loadDeployment(withMember({ flowLog: member.flowLogs }), registry)).rejects.toThrow(/flowLog/);
    // Absent sections take the hooks' defaults.
    const { flowLogs: _f, accessLogBucket: _a, ...core } = member;
    const defaults = await loadDeployment({ ...cfg, member: core }, registry);
    expect(defaults.hooks.get('flow-logs')?.config).toEqual({ destination: 'cloud-watch-logs', retentionDays: 365 });
    expect(defaults.hooks.get('bucket-logging')?.config).toEqual({ enabled: true, expireAfterDays: 365 });
  });
});
