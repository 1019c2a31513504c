import type { AnyGuardrail, CloudTrailDetail, Resolution, ResourceRef } from '../core/types.js';
import type { DeploymentManifest } from './manifest.js';

/** The kinds of logwarden's own resources this guardrail compares with the deployment manifest. */
export const RULE_TYPE = 'AWS::Events::Rule';
export const TABLE_TYPE = 'AWS::DynamoDB::Table';
export const CONFIG_RULE_TYPE = 'AWS::Config::ConfigRule';
export const BUCKET_POLICY_TYPE = 'AWS::S3::BucketPolicy';
export const FUNCTION_TYPE = 'AWS::Lambda::Function';
export const ROLE_TYPE = 'AWS::IAM::Role';

type IntegrityType =
  | typeof RULE_TYPE
  | typeof TABLE_TYPE
  | typeof CONFIG_RULE_TYPE
  | typeof BUCKET_POLICY_TYPE
  | typeof FUNCTION_TYPE
  | typeof ROLE_TYPE;

/** One of logwarden's own resources, named as the manifest names it (rule, table, Config rule, bucket). */
export interface IntegrityRef extends ResourceRef {
  type: IntegrityType;
  /** The account the manifest is resolved for (a bucket's or Config rule's ARN does not carry it). */
  account: string;
}

const RULE_EVENTS = ['DisableRule', 'DeleteRule', 'PutRule', 'RemoveTargets', 'PutTargets'] as const;
const TABLE_EVENTS = ['DeleteTable'] as const;
const CONFIG_RULE_EVENTS = ['DeleteConfigRule', 'PutConfigRule'] as const;
const BUCKET_POLICY_EVENTS = ['PutBucketPolicy', 'DeleteBucketPolicy'] as const;
/** CloudTrail records Lambda calls with their API version as a suffix (as EventBridge matches them). */
const FUNCTION_EVENTS = [
  'PutFunctionConcurrency20171031',
  'DeleteFunction20150331',
  'UpdateFunctionCode20150331v2',
  'UpdateFunctionConfiguration20150331v2',
  'RemovePermission20150331v2',
] as const;
const ROLE_EVENTS = [
  'PutRolePolicy',
  'AttachRolePolicy',
  'DetachRolePolicy',
  'DeleteRolePolicy',
  'UpdateAssumeRolePolicy',
  'PutRolePermissionsBoundary',
] as const;
/** IAM is global: its CloudTrail events reach EventBridge in us-east-1 only. */
const IAM_EVENTS_REGION = 'us-east-1';

type Where = { account: string; region: string };

/** `aws`, `aws-cn` or `aws-us-gov`, from the region's name. */
export const partitionOf = (region: string) =>
  region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';

/** Every resource the manifest declares, as refs. Pure. */
export function manifestRefs(m: DeploymentManifest, where: Where): IntegrityRef[] {
  const p = partitionOf(where.region);
  const ref = (type: IntegrityType, id: string, arn: string | null): IntegrityRef => ({
    type,
    id,
    arn,
    region: where.region,
    account: where.account,
  });
  return [
    ...m.rules.map((r) => ref(RULE_TYPE, r.name, `arn:${p}:events:${where.region}:${where.account}:rule/${r.name}`)),
    ref(TABLE_TYPE, m.stateTable, `arn:${p}:dynamodb:${where.region}:${where.account}:table/${m.stateTable}`),
    ...m.configRules.map((n) => ref(CONFIG_RULE_TYPE, n, null)),
    ...m.bucketPolicies.map((b) => ref(BUCKET_POLICY_TYPE, b.bucket, `arn:${p}:s3:::${b.bucket}`)),
    ...m.functions.map((f) => ref(FUNCTION_TYPE, f.name, `arn:${p}:lambda:${where.region}:${where.account}:function:${f.name}`)),
    ...m.roles.map((r) => ref(ROLE_TYPE, r.name, `arn:${p}:iam::${where.account}:role${r.path}${r.name}`)),
  ];
}

/**
 * The StackSets execution role of the governed account: service-managed StackSets name it
 * `stacksets-exec-` and 32 hex digits. Its calls are deployments (a StackSet update), not tampering.
 */
function isStackSetsCall(detail: CloudTrailDetail, account: string): boolean {
  const ctx = detail.userIdentity?.sessionContext as { sessionIssuer?: { arn?: unknown } } | undefined;
  const arn = ctx?.sessionIssuer?.arn;
  return typeof arn === 'string' && new RegExp(`^arn:aws[a-z-]*:iam::${account}:role/stacksets-exec-[0-9a-f]{32}$`).test(arn);
}

function str(from: unknown, key: string): string | null {
  if (!from || typeof from !== 'object' || Array.isArray(from)) return null;
  const v = (from as Record<string, unknown>)[key];
  return typeof v === 'string' && v.length > 0 && v.length <= 1024 ? v : null;
}

/** Where each event names the resource it changed, and of which kind. */
const NAMED_AT: Readonly<
  Record<string, { type: IntegrityType; path: string; read: (p: Record<string, unknown>) => string | null }>
> = {
  DisableRule: { type: RULE_TYPE, path: 'name', read: (p) => str(p, 'name') },
  DeleteRule: { type: RULE_TYPE, path: 'name', read: (p) => str(p, 'name') },
  PutRule: { type: RULE_TYPE, path: 'name', read: (p) => str(p, 'name') },
  RemoveTargets: { type: RULE_TYPE, path: 'rule', read: (p) => str(p, 'rule') },
  PutTargets: { type: RULE_TYPE, path: 'rule', read: (p) => str(p, 'rule') },
  DeleteTable: { type: TABLE_TYPE, path: 'tableName', read: (p) => str(p, 'tableName') },
  DeleteConfigRule: { type: CONFIG_RULE_TYPE, path: 'configRuleName', read: (p) => str(p, 'configRuleName') },
  PutConfigRule: { type: CONFIG_RULE_TYPE, path: 'configRule.configRuleName', read: (p) => str(p.configRule, 'configRuleName') },
  PutBucketPolicy: { type: BUCKET_POLICY_TYPE, path: 'bucketName', read: (p) => str(p, 'bucketName') },
  DeleteBucketPolicy: { type: BUCKET_POLICY_TYPE, path: 'bucketName', read: (p) => str(p, 'bucketName') },
  ...Object.fromEntries(
    FUNCTION_EVENTS.map((e) => [e, { type: FUNCTION_TYPE, path: 'functionName', read: (p) => str(p, 'functionName') }]),
  ),
  ...Object.fromEntries(ROLE_EVENTS.map((e) => [e, { type: ROLE_TYPE, path: 'roleName', read: (p) => str(p, 'roleName') }])),
};

/** A function may be named by its name, its ARN (qualified or not) or a partial ARN `account:function:name`. */
function functionName(name: string): string {
  const m = /(?:^|:)function:([A-Za-z0-9_-]+)(?::[^:]+)?$/.exec(name);
  return m?.[1] ?? name;
}

/** The region a function role's name ends with (`functionRoleName`), or null. */
function roleRegion(roleName: string): string | null {
  const m = /-((?:[a-z]{2}(?:-gov|-iso[a-z]?)?)-[a-z]+-\d)$/.exec(roleName);
  return m?.[1] ?? null;
}

/** A rule name may also be given as the rule's ARN; EventBridge rules on a custom bus are not logwarden's. */
function ruleName(name: string): string {
  const m = /^arn:aws[a-z-]*:events:[^:]*:\d{12}:rule\/(.+)$/.exec(name);
  return m?.[1] ?? name;
}

/**
 * Which of logwarden's own resources an API-call event is about. Pure. A call by the StackSets
 * execution role is a deployment; a resource the manifest does not declare is someone else's.
 */
export function refsFromEvent(
  detail: CloudTrailDetail,
  m: DeploymentManifest,
  where: Where,
  manifestAt?: (region: string) => DeploymentManifest,
): Resolution<IntegrityRef> {
  const at = NAMED_AT[detail.eventName];
  if (!at) return { ignore: `the integrity guardrail does not handle ${detail.eventName.slice(0, 100)}` };
  if (isStackSetsCall(detail, where.account)) {
    return { ignore: `${detail.eventName} by the StackSets execution role: a deployment of logwarden, not tampering` };
  }
  const params = detail.requestParameters;
  const raw = params ? at.read(params) : null;
  if (!raw) return { ignore: `${detail.eventName} event without a valid requestParameters.${at.path}` };
  const bus = at.type === RULE_TYPE && params ? str(params, 'eventBusName') : null;
  if (bus && bus !== 'default' && !bus.endsWith(':event-bus/default')) {
    return { ignore: `rule ${raw.slice(0, 100)} is on event bus ${bus.slice(0, 200)}: logwarden's rules are on the default bus` };
  }
  if (at.type === ROLE_TYPE) return roleRef(raw, m, where, manifestAt);
  const id = at.type === RULE_TYPE ? ruleName(raw) : at.type === FUNCTION_TYPE ? functionName(raw) : raw;
  return refFromId(at.type, id, m, where);
}

/**
 * A role event. Its own region's role is checked by every controller; the us-east-1 controller, which
 * alone receives IAM events, also checks the role of another region (IAM is global: it reads and
 * writes it from here), resolving the manifest for the region the name ends with. Pure.
 */
function roleRef(
  name: string,
  m: DeploymentManifest,
  where: Where,
  manifestAt?: (region: string) => DeploymentManifest,
): Resolution<IntegrityRef> {
  const region = roleRegion(name);
  if (region && region !== where.region && where.region === IAM_EVENTS_REGION && manifestAt) {
    return refFromId(ROLE_TYPE, name, manifestAt(region), { ...where, region });
  }
  return refFromId(ROLE_TYPE, name, m, where);
}

/** The ref of a manifest resource of that kind and name, or why it is not logwarden's. Pure. */
function refFromId(type: IntegrityType, id: string, m: DeploymentManifest, where: Where): Resolution<IntegrityRef> {
  const ref = manifestRefs(m, where).find((r) => r.type === type && r.id === id);
  if (ref) return { refs: [ref] };
  return {
    ignore: `${type} ${id.slice(0, 200)} is not logwarden's: the deployment manifest does not declare it`,
    resource: { type, id: id.slice(0, 256) },
  };
}

/**
 * A Config resource id or CLI argument: a bare name is looked up among every kind (rule, table,
 * Config rule, bucket), in that order; `<type>/<name>` names the kind.
 */
export function refFromResourceId(resourceId: string, m: DeploymentManifest, where: Where): Resolution<IntegrityRef> {
  const refs = manifestRefs(m, where);
  const typed = refs.find((r) => `${r.type}/${r.id}` === resourceId);
  const found = typed ?? refs.find((r) => r.id === resourceId);
  if (found) return { refs: [found] };
  return { ignore: `${resourceId.slice(0, 200)} is not logwarden's: the deployment manifest does not declare it` };
}

/** The names the demo manifest gives (the samples name them so the fuzz test reaches past intake). */
export const SAMPLE_NAMES = {
  rule: 'logwarden-integrity-demo-cloudtrail',
  table: 'logwarden-integrity-demo-state',
  configRule: 'logwarden-integrity-demo-config-rule',
  bucket: 'logwarden-integrity-demo-access-logs-{account}',
  function: 'logwarden-integrity-demo-controller',
  role: 'logwarden-integrity-demo-controller-{region}',
} as const;
const SAMPLE_BUCKET = SAMPLE_NAMES.bucket.replace('{account}', '123456789012');
const SAMPLE_FUNCTION_ARN = `arn:aws:lambda:us-east-1:123456789012:function:${SAMPLE_NAMES.function}`;
const SAMPLE_ROLE = SAMPLE_NAMES.role.replace('{region}', 'us-east-1');
const SAMPLE_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Sid: 'Quiet', Effect: 'Deny', Action: '*', Resource: '*' }],
});

/** Plausible records of the events above, as each service logs them (lowerCamel request parameters). */
export const CLOUDTRAIL_EVENTS: AnyGuardrail['cloudTrailEvents'] = [
  {
    source: 'aws.events',
    eventNames: RULE_EVENTS,
    sample: {
      requestParameters: { name: SAMPLE_NAMES.rule },
      responseElements: null,
      perEvent: {
        PutRule: {
          requestParameters: { name: SAMPLE_NAMES.rule, eventPattern: '{"source":["aws.nothing"]}', state: 'ENABLED' },
          responseElements: { ruleArn: `arn:aws:events:us-east-1:123456789012:rule/${SAMPLE_NAMES.rule}` },
        },
        RemoveTargets: {
          requestParameters: { rule: SAMPLE_NAMES.rule, ids: ['controller'] },
          responseElements: { failedEntryCount: 0, failedEntries: [] },
        },
        PutTargets: {
          requestParameters: {
            rule: SAMPLE_NAMES.rule,
            targets: [{ id: 'controller', arn: 'arn:aws:lambda:us-east-1:123456789012:function:elsewhere' }],
          },
          responseElements: { failedEntryCount: 0, failedEntries: [] },
        },
      },
    },
  },
  {
    source: 'aws.dynamodb',
    eventNames: TABLE_EVENTS,
    sample: { requestParameters: { tableName: SAMPLE_NAMES.table }, responseElements: null },
  },
  {
    source: 'aws.config',
    eventNames: CONFIG_RULE_EVENTS,
    sample: {
      requestParameters: { configRuleName: SAMPLE_NAMES.configRule },
      responseElements: null,
      perEvent: {
        PutConfigRule: {
          requestParameters: { configRule: { configRuleName: SAMPLE_NAMES.configRule, source: { owner: 'CUSTOM_LAMBDA' } } },
          responseElements: null,
        },
      },
    },
  },
  {
    source: 'aws.s3',
    eventNames: BUCKET_POLICY_EVENTS,
    sample: {
      requestParameters: { bucketName: SAMPLE_BUCKET, Host: `${SAMPLE_BUCKET}.s3.amazonaws.com`, policy: '' },
      responseElements: null,
    },
  },
  {
    source: 'aws.lambda',
    eventNames: FUNCTION_EVENTS,
    sample: {
      requestParameters: { functionName: SAMPLE_NAMES.function },
      responseElements: null,
      perEvent: {
        PutFunctionConcurrency20171031: {
          requestParameters: { functionName: SAMPLE_NAMES.function, reservedConcurrentExecutions: 0 },
          responseElements: { reservedConcurrentExecutions: 0 },
        },
        UpdateFunctionCode20150331v2: {
          requestParameters: { functionName: SAMPLE_FUNCTION_ARN, publish: false, dryRun: false },
          responseElements: { functionName: SAMPLE_NAMES.function, functionArn: SAMPLE_FUNCTION_ARN, codeSha256: 'x' },
        },
        UpdateFunctionConfiguration20150331v2: {
          requestParameters: { functionName: SAMPLE_NAMES.function, role: 'arn:aws:iam::123456789012:role/theirs' },
          responseElements: { functionName: SAMPLE_NAMES.function, functionArn: SAMPLE_FUNCTION_ARN },
        },
        RemovePermission20150331v2: {
          requestParameters: { functionName: SAMPLE_NAMES.function, statementId: 'AllowEventBridge' },
          responseElements: null,
        },
      },
    },
  },
  {
    source: 'aws.iam',
    eventNames: ROLE_EVENTS,
    sample: {
      requestParameters: { roleName: SAMPLE_ROLE },
      responseElements: null,
      perEvent: {
        PutRolePolicy: {
          requestParameters: { roleName: SAMPLE_ROLE, policyName: 'Quiet', policyDocument: SAMPLE_POLICY },
          responseElements: null,
        },
        AttachRolePolicy: {
          requestParameters: { roleName: SAMPLE_ROLE, policyArn: 'arn:aws:iam::aws:policy/AWSDenyAll' },
          responseElements: null,
        },
        DetachRolePolicy: {
          requestParameters: { roleName: SAMPLE_ROLE, policyArn: 'arn:aws:iam::aws:policy/AWSDenyAll' },
          responseElements: null,
        },
        DeleteRolePolicy: { requestParameters: { roleName: SAMPLE_ROLE, policyName: 'Logwarden' }, responseElements: null },
        UpdateAssumeRolePolicy: {
          requestParameters: { roleName: SAMPLE_ROLE, policyDocument: SAMPLE_POLICY },
          responseElements: null,
        },
        PutRolePermissionsBoundary: {
          requestParameters: { roleName: SAMPLE_ROLE, permissionsBoundary: 'arn:aws:iam::aws:policy/AWSDenyAll' },
          responseElements: null,
        },
      },
    },
  },
];
