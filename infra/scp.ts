/**
 * The preventive layer: a service control policy that keeps a member account's admin from turning
 * logwarden (and, optionally, the logging it governs) off. Pure: deployment config + policy in, policy
 * document out; `ScpStack` (scp-stack.ts) creates it. Every name pattern comes from the code that names
 * the resource, never from a guess.
 */
import { logBucketName } from '../controllers/bucket-logging/events.js';
import type { BucketLoggingPolicy } from '../controllers/bucket-logging/policy.js';
import type { CloudTrailPolicy } from '../controllers/cloudtrail/policy.js';
import { functionRoleName, ROLE_PATH } from '../controllers/core/identity.js';
import type { Policy } from '../controllers/core/policy.js';
import { MANAGED_TAG } from '../controllers/core/tags.js';
import { CANARY_LOG_GROUP } from '../controllers/heartbeat/canary.js';
import type { DeploymentConfig } from './config.js';

/** AWS counts an SCP's size without whitespace; this is its limit. */
export const SCP_MAX_CHARS = 5120;

/** The role service-managed StackSets deploy with in every target account (AWS CloudFormation User Guide). */
const STACKSETS_EXEC_ROLE = 'arn:{partition}:iam::*:role/stacksets-exec-*';
/** The StackSet (infra/rollout.ts) names each stack instance `StackSet-<stack set name>-<uuid>`. */
const STACK_INSTANCES = 'arn:{partition}:cloudformation:*:*:stack/StackSet-logwarden-member-*/*';
/** Tags under this prefix are logwarden's: `logwarden:managed` on what it creates, `logwarden:exempt*` on exemptions. */
const TAG_PREFIX = `${MANAGED_TAG.split(':')[0]}:`;

interface ServiceControlPolicyStatement {
  Sid: string;
  Effect: 'Deny';
  Action?: string[];
  /** The region guard denies everything but the global services. */
  NotAction?: string[];
  Resource: string[];
  Condition: Record<string, Record<string, string[]>>;
}

export interface ServiceControlPolicyDocument {
  Version: '2012-10-17';
  Statement: ServiceControlPolicyStatement[];
}

/**
 * Changes to logwarden's own resources. Control plane only for the state table: its items are written
 * by the controllers, and the statement below keeps everyone else off them.
 */
const RESOURCE_ACTIONS = [
  'events:DeleteRule',
  'events:DisableRule',
  'events:PutRule',
  'events:PutTargets',
  'events:RemoveTargets',
  'lambda:AddPermission',
  // Wildcards only where every action they match is a write (size limit): DeleteFunction, its
  // concurrency, event-invoke, URL and code-signing configs; the same for Put and Update.
  'lambda:DeleteFunction*',
  // A forged event invoked directly would make up a record's trigger and actor; EventBridge and Config
  // invoke as service principals, which no SCP restricts.
  'lambda:InvokeFunction',
  'lambda:PutFunction*',
  'lambda:RemovePermission',
  'lambda:UpdateFunction*',
  // Attach and Detach; Put and Delete of the boundary (no read matches either pattern).
  'iam:*tachRolePolicy',
  'iam:CreateRole',
  'iam:DeleteRole',
  'iam:*RolePermissionsBoundary',
  'iam:DeleteRolePolicy',
  // Passing a controller's role to one's own function would borrow its permissions.
  'iam:PassRole',
  'iam:PutRolePolicy',
  'iam:UpdateAssumeRolePolicy',
  'iam:UpdateRole*',
  'dynamodb:DeleteTable',
  'dynamodb:UpdateTable',
  'dynamodb:UpdateTimeToLive',
  'dynamodb:PutResourcePolicy',
  'dynamodb:DeleteResourcePolicy',
  's3:DeleteBucket',
  's3:DeleteBucketPolicy',
  's3:PutBucketPolicy',
  'cloudformation:CancelUpdateStack',
  'cloudformation:CreateChangeSet',
  'cloudformation:DeleteStack',
  'cloudformation:ExecuteChangeSet',
  'cloudformation:SetStackPolicy',
  'cloudformation:UpdateStack',
  'cloudformation:UpdateTerminationProtection',
];

/** Writes to the state table's items, by anyone but the controllers. */
const STATE_ITEM_ACTIONS = [
  'dynamodb:BatchWriteItem',
  'dynamodb:DeleteItem',
  'dynamodb:PartiQLDelete',
  'dynamodb:PartiQLInsert',
  'dynamodb:PartiQLUpdate',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
];

/**
 * The heartbeat's event path canary (#13 item 5): its log group, and the tag write whose CloudTrail
 * event proves the event path alive. Only the heartbeat writes it (the rule also matches its role only).
 */
const CANARY_ACTIONS = ['logs:DeleteLogGroup', 'logs:Tag*', 'logs:Untag*'];
const CANARY_RESOURCES = [
  `arn:{partition}:logs:*:*:log-group:${CANARY_LOG_GROUP}`,
  `arn:{partition}:logs:*:*:log-group:${CANARY_LOG_GROUP}:*`,
];

/** Turning the governed logging off; the controllers are exempt because they turn it back on. */
const LOGGING_ACTIONS = {
  cloudtrail: ['cloudtrail:DeleteTrail', 'cloudtrail:PutEventSelectors', 'cloudtrail:StopLogging', 'cloudtrail:UpdateTrail'],
  guardduty: [
    'guardduty:DeleteDetector',
    'guardduty:DisassociateFromAdministratorAccount',
    'guardduty:DisassociateFromMasterAccount',
    // Suspending a detector is UpdateDetector(Enable=false); no condition key tells it apart from other updates.
    'guardduty:UpdateDetector',
  ],
  'flow-logs': ['ec2:DeleteFlowLogs'],
} as const;

/** The IAM role ARN patterns of every name logwarden gives a role: on its path, or named `logwarden-*` anywhere. */
function logwardenRoles(): string[] {
  return [
    `arn:{partition}:iam::*:role${ROLE_PATH}*`,
    'arn:{partition}:iam::*:role/logwarden-*',
    'arn:{partition}:iam::*:role/*/logwarden-*',
  ];
}

/** The access-log bucket of every account and region, if the bucket-logging guardrail is on. */
function accessLogBuckets(policy: Policy): string[] {
  const section = policy.guardrails['bucket-logging'] as BucketLoggingPolicy | undefined;
  return section ? [`arn:{partition}:s3:::${logBucketName(section, '*', '*')}`] : [];
}

/**
 * ARNs of logwarden's own resources in any member account and region, and of the exempt roles: an
 * account's admin who could create a role named `stacksets-exec-x` or like a break-glass role, or
 * rewrite its trust policy, would be exempt too. (StackSets creates its role through a service-linked
 * role, which no SCP restricts.)
 */
function protectedResourceArns(policy: Policy, breakGlassRoleArns: readonly string[]): string[] {
  return [
    'arn:{partition}:events:*:*:rule/logwarden-*',
    'arn:{partition}:lambda:*:*:function:logwarden-*',
    ...logwardenRoles(),
    STACKSETS_EXEC_ROLE,
    ...breakGlassRoleArns,
    'arn:{partition}:dynamodb:*:*:table/logwarden-state',
    ...accessLogBuckets(policy),
    STACK_INSTANCES,
  ];
}

/**
 * The controllers' roles (infra/function.ts), one pattern per enabled guardrail so that a look-alike
 * such as `logwarden-evil-controller-<region>` is not exempt; any region, as roles are per region.
 */
function controllerRoleArns(policy: Policy): string[] {
  return Object.keys(policy.guardrails)
    .sort()
    .map((g) => `arn:{partition}:iam::*:role${ROLE_PATH}${functionRoleName('controller', g, '*')}`);
}

function exceptFor(principals: readonly string[]): ServiceControlPolicyStatement['Condition'] {
  return { ArnNotLike: { 'aws:PrincipalArn': [...principals] } };
}

/** The governed logging's actions and resources, for the guardrails the policy enables. */
function loggingTargets(policy: Policy): { actions: string[]; resources: string[] } {
  const actions: string[] = [];
  const resources: string[] = [];
  const trails = policy.guardrails.cloudtrail as CloudTrailPolicy | undefined;
  if (trails) {
    actions.push(...LOGGING_ACTIONS.cloudtrail);
    resources.push(...trails.trails.map((t) => `arn:{partition}:cloudtrail:*:*:trail/${t.name}`));
  }
  if (policy.guardrails.guardduty) {
    actions.push(...LOGGING_ACTIONS.guardduty);
    resources.push('arn:{partition}:guardduty:*:*:detector/*');
  }
  if (policy.guardrails['flow-logs']) {
    actions.push(...LOGGING_ACTIONS['flow-logs']);
    resources.push('arn:{partition}:ec2:*:*:vpc-flow-log/*');
  }
  return { actions, resources };
}

/**
 * The state items, the canary, and with `protectLogging` the governed logging: denied to all but
 * admins, controllers and the heartbeat.
 */
function protectedByControllers(
  policy: Policy,
  protectLogging: boolean,
  withControllers: readonly string[],
): ServiceControlPolicyStatement {
  const logging = protectLogging ? loggingTargets(policy) : { actions: [], resources: [] };
  return {
    Sid: protectLogging ? 'ProtectLogwardenStateAndLogging' : 'ProtectLogwardenState',
    Effect: 'Deny',
    Action: [...STATE_ITEM_ACTIONS, ...CANARY_ACTIONS, ...logging.actions],
    Resource: ['arn:{partition}:dynamodb:*:*:table/logwarden-state', ...CANARY_RESOURCES, ...logging.resources],
    Condition: exceptFor(withControllers),
  };
}

/**
 * The SCP document: deny statements only (an SCP never grants; FullAWSAccess stays attached beside it).
 * Exempt everywhere: the StackSets execution role (it deploys and updates logwarden) and the break-glass
 * roles. The controllers are also exempt where their job needs it: state items, `logwarden:*` tags on
 * what they create, and the logging they turn back on — never on logwarden's own resources. The
 * heartbeat shares that exception for its canary (state items, the canary log group's tag); its own
 * IAM grants only the canary, so the logging actions stay out of its reach.
 */
export function renderServiceControlPolicy(
  config: DeploymentConfig,
  policy: Policy,
  partition: string,
): ServiceControlPolicyDocument {
  const admins = [STACKSETS_EXEC_ROLE, ...config.scp.breakGlassRoleArns];
  // The heartbeat writes the canary's state items and its `logwarden:canary` tag (#13 item 5).
  const heartbeat = `arn:{partition}:iam::*:role${ROLE_PATH}${functionRoleName('heartbeat', 'heartbeat', '*')}`;
  const withControllers = [...admins, ...controllerRoleArns(policy), heartbeat];
  const statements: ServiceControlPolicyStatement[] = [
    {
      Sid: 'ProtectLogwardenResources',
      Effect: 'Deny',
      Action: RESOURCE_ACTIONS,
      Resource: protectedResourceArns(policy, config.scp.breakGlassRoleArns),
      Condition: exceptFor(admins),
    },
    // One statement for the state items and the governed logging: both exempt the controllers, and a
    // DynamoDB action never applies to a trail (nor a trail action to the table), so sharing the lists
    // denies nothing more; it keeps the exception list once, within the SCP size limit.
    protectedByControllers(policy, config.scp.protectLogging, withControllers),
    {
      Sid: 'ProtectLogwardenTags',
      Effect: 'Deny',
      Action: ['*'],
      Resource: ['*'],
      Condition: { 'ForAnyValue:StringLike': { 'aws:TagKeys': [`${TAG_PREFIX}*`] }, ...exceptFor(withControllers) },
    },
  ];
  return inPartition({ Version: '2012-10-17', Statement: statements }, partition);
}

/**
 * The document with `{partition}` replaced by the stack's partition (`Aws.PARTITION` in the SCP
 * stack): logwarden's ARN patterns are written once for every partition. Pure.
 */
function inPartition(document: ServiceControlPolicyDocument, partition: string): ServiceControlPolicyDocument {
  return JSON.parse(JSON.stringify(document).split('{partition}').join(partition)) as ServiceControlPolicyDocument;
}

/** The size AWS checks against `SCP_MAX_CHARS`: the JSON without whitespace outside strings. */
export function serviceControlPolicySize(document: ServiceControlPolicyDocument): number {
  return JSON.stringify(document).length;
}

/**
 * Actions of global services (their endpoints live in one region whatever the caller's region) and the
 * few global reads the console makes: the region guard must not deny them, or IAM, Organizations,
 * billing and DNS would break in every account. After AWS's documented "deny by requested region" SCP.
 */
const GLOBAL_ACTIONS = [
  'account:*',
  'aws-portal:*',
  'billing:*',
  'budgets:*',
  'ce:*',
  'cloudfront:*',
  'cur:*',
  'ec2:DescribeRegions',
  'globalaccelerator:*',
  'health:*',
  'iam:*',
  'kms:*',
  'networkmanager:*',
  'organizations:*',
  'pricing:*',
  'route53:*',
  'route53domains:*',
  's3:GetAccountPublicAccessBlock',
  's3:ListAllMyBuckets',
  's3:PutAccountPublicAccessBlock',
  'shield:*',
  'sso:*',
  'sts:*',
  'support:*',
  'tag:GetResources',
  'trustedadvisor:*',
  'waf:*',
  'wafv2:*',
];

/**
 * The optional region guard (`scp.denyUngovernedRegions`, #17): outside the governed regions, where no
 * controller runs, deny every regional action to everyone but the StackSets execution role and the
 * break-glass roles. A separate SCP, so the protection SCP keeps its size budget.
 */
export function renderRegionGuardPolicy(
  config: DeploymentConfig,
  policy: Policy,
  partition: string,
): ServiceControlPolicyDocument {
  return inPartition(
    {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'DenyUngovernedRegions',
          Effect: 'Deny',
          NotAction: GLOBAL_ACTIONS,
          Resource: ['*'],
          Condition: {
            StringNotEquals: { 'aws:RequestedRegion': [...policy.controller.regions] },
            ...exceptFor([STACKSETS_EXEC_ROLE, ...config.scp.breakGlassRoleArns]),
          },
        },
      ],
    },
    partition,
  );
}
