import { ConfigServiceClient, DescribeConfigRulesCommand } from '@aws-sdk/client-config-service';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeRuleCommand,
  EnableRuleCommand,
  EventBridgeClient,
  ListTargetsByRuleCommand,
  PutRuleCommand,
  PutTargetsCommand,
  type RuleState as SdkRuleState,
} from '@aws-sdk/client-eventbridge';
import {
  DeleteRolePermissionsBoundaryCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import {
  DeleteFunctionConcurrencyCommand,
  GetFunctionCommand,
  GetFunctionConcurrencyCommand,
  LambdaClient,
} from '@aws-sdk/client-lambda';
import { GetBucketPolicyCommand, PutBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';
import type { AwsClients } from '../core/aws.js';
import { errorCode, errorMessage, RemediationError } from '../core/errors.js';
import type { Scope } from '../core/types.js';
import type { DesiredIntegrity, FunctionState, InlinePolicyState, IntegrityState, IntegrityStep, RuleState } from './diff.js';
import { BUCKET_POLICY_TYPE, CONFIG_RULE_TYPE, FUNCTION_TYPE, type IntegrityRef, ROLE_TYPE, RULE_TYPE } from './events.js';
import type { IntegrityPolicy } from './policy.js';

const RUNBOOK = 'runbooks/integrity.md';

/** Only the SDK clients the reads need: the heartbeat reads with the same code. */
export type Reader = Pick<AwsClients, 'get'>;

function parsed(pattern: string | undefined): unknown {
  if (!pattern) return null;
  try {
    return JSON.parse(pattern);
  } catch {
    // Kept as text: it then differs from any declared (parsed) pattern, which is the finding.
    return pattern;
  }
}

async function listTargets(eb: EventBridgeClient, rule: string): Promise<{ id: string; arn: string }[]> {
  const out: { id: string; arn: string }[] = [];
  let NextToken: string | undefined;
  do {
    const page = await eb.send(new ListTargetsByRuleCommand({ Rule: rule, NextToken }));
    for (const t of page.Targets ?? []) out.push({ id: t.Id ?? '', arn: t.Arn ?? '' });
    NextToken = page.NextToken;
  } while (NextToken);
  return out;
}

async function readRule(clients: Reader, region: string, name: string): Promise<RuleState | null> {
  const eb = clients.get(EventBridgeClient, region);
  try {
    const r = await eb.send(new DescribeRuleCommand({ Name: name }));
    return {
      state: r.State ?? null,
      eventPattern: parsed(r.EventPattern),
      scheduleExpression: r.ScheduleExpression ?? null,
      description: r.Description ?? null,
      targets: await listTargets(eb, name),
    };
  } catch (error) {
    if (errorCode(error) === 'ResourceNotFoundException') return null;
    throw error;
  }
}

async function tableExists(clients: Reader, region: string, name: string): Promise<boolean> {
  try {
    await clients.get(DynamoDBClient, region).send(new DescribeTableCommand({ TableName: name }));
    return true;
  } catch (error) {
    if (errorCode(error) === 'ResourceNotFoundException') return false;
    throw error;
  }
}

async function configRuleExists(clients: Reader, region: string, name: string): Promise<boolean> {
  try {
    const out = await clients.get(ConfigServiceClient, region).send(new DescribeConfigRulesCommand({ ConfigRuleNames: [name] }));
    return (out.ConfigRules ?? []).some((r) => r.ConfigRuleName === name);
  } catch (error) {
    if (errorCode(error) === 'NoSuchConfigRuleException') return false;
    throw error;
  }
}

async function readBucketPolicy(clients: Reader, region: string, bucket: string): Promise<IntegrityState> {
  try {
    const out = await clients.get(S3Client, region).send(new GetBucketPolicyCommand({ Bucket: bucket }));
    const doc = JSON.parse(out.Policy ?? '{}') as { Statement?: unknown };
    const list = Array.isArray(doc.Statement) ? doc.Statement : doc.Statement ? [doc.Statement] : [];
    return { kind: 'bucket-policy', bucketExists: true, statements: list as Record<string, unknown>[] };
  } catch (error) {
    const code = errorCode(error);
    if (code === 'NoSuchBucketPolicy') return { kind: 'bucket-policy', bucketExists: true, statements: null };
    if (code === 'NoSuchBucket') return { kind: 'bucket-policy', bucketExists: false, statements: null };
    throw error;
  }
}

/**
 * GetFunction for the code and role; GetFunctionConcurrency for the reserved concurrency, which
 * GetFunction also reports on AWS but moto 5.2.5 drops when it is 0 (the one value that matters).
 */
async function readFunction(clients: Reader, region: string, name: string): Promise<FunctionState | null> {
  const lambda = clients.get(LambdaClient, region);
  try {
    const fn = await lambda.send(new GetFunctionCommand({ FunctionName: name }));
    const concurrency = await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: name }));
    return {
      codeSha256: fn.Configuration?.CodeSha256 ?? null,
      roleArn: fn.Configuration?.Role ?? null,
      reservedConcurrency: concurrency.ReservedConcurrentExecutions ?? null,
    };
  } catch (error) {
    if (errorCode(error) === 'ResourceNotFoundException') return null;
    throw error;
  }
}

/** IAM returns policy documents URL-encoded. Not JSON: kept as text, which no check accepts. */
function policyDocument(encoded: string | undefined): unknown {
  if (!encoded) return null;
  try {
    return JSON.parse(decodeURIComponent(encoded));
  } catch {
    return encoded;
  }
}

function statementsOf(doc: unknown): InlinePolicyState['statements'] {
  const raw = doc && typeof doc === 'object' ? (doc as { Statement?: unknown }).Statement : undefined;
  const list = Array.isArray(raw) ? raw : raw ? [raw] : [];
  return list.map((st) => {
    const o = st && typeof st === 'object' ? (st as Record<string, unknown>) : {};
    return { sid: typeof o.Sid === 'string' ? o.Sid : null, effect: typeof o.Effect === 'string' ? o.Effect : null };
  });
}

async function inlinePolicies(iam: IAMClient, role: string): Promise<InlinePolicyState[]> {
  const names: string[] = [];
  let Marker: string | undefined;
  do {
    const page = await iam.send(new ListRolePoliciesCommand({ RoleName: role, Marker }));
    names.push(...(page.PolicyNames ?? []));
    Marker = page.IsTruncated ? page.Marker : undefined;
  } while (Marker);
  return Promise.all(
    names.map(async (name) => {
      const p = await iam.send(new GetRolePolicyCommand({ RoleName: role, PolicyName: name }));
      return { name, statements: statementsOf(policyDocument(p.PolicyDocument)) };
    }),
  );
}

async function attachedPolicies(iam: IAMClient, role: string): Promise<string[]> {
  const arns: string[] = [];
  let Marker: string | undefined;
  do {
    const page = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: role, Marker }));
    arns.push(...(page.AttachedPolicies ?? []).map((p) => p.PolicyArn ?? ''));
    Marker = page.IsTruncated ? page.Marker : undefined;
  } while (Marker);
  return arns;
}

/** A role: its inline and attached policies, boundary and trust policy. IAM is global: any region's client reads it. */
async function readRole(clients: Reader, region: string, name: string): Promise<IntegrityState> {
  const iam = clients.get(IAMClient, region);
  try {
    const { Role } = await iam.send(new GetRoleCommand({ RoleName: name }));
    const role = {
      inlinePolicies: await inlinePolicies(iam, name),
      attachedPolicyArns: await attachedPolicies(iam, name),
      boundaryArn: Role?.PermissionsBoundary?.PermissionsBoundaryArn ?? null,
      trustPolicy: policyDocument(Role?.AssumeRolePolicyDocument),
    };
    return { kind: 'role', role };
  } catch (error) {
    if (errorCode(error) === 'NoSuchEntity' || errorCode(error) === 'NoSuchEntityException') return { kind: 'role', role: null };
    throw error;
  }
}

/** Read one of logwarden's own resources, read-only (the controller and the heartbeat share it). */
export async function readIntegrity(ref: IntegrityRef, clients: Reader): Promise<IntegrityState> {
  if (ref.type === RULE_TYPE) return { kind: 'rule', rule: await readRule(clients, ref.region, ref.id) };
  if (ref.type === CONFIG_RULE_TYPE) return { kind: 'config-rule', exists: await configRuleExists(clients, ref.region, ref.id) };
  if (ref.type === BUCKET_POLICY_TYPE) return readBucketPolicy(clients, ref.region, ref.id);
  if (ref.type === FUNCTION_TYPE) return { kind: 'function', fn: await readFunction(clients, ref.region, ref.id) };
  if (ref.type === ROLE_TYPE) return readRole(clients, ref.region, ref.id);
  return { kind: 'table', exists: await tableExists(clients, ref.region, ref.id) };
}

export const observeIntegrity = (ref: IntegrityRef, scope: Scope<IntegrityPolicy>) => readIntegrity(ref, scope.clients);

function putRule(step: Extract<IntegrityStep, { api: 'events:PutRule' }>, d: DesiredIntegrity) {
  if (d.kind !== 'rule') throw new TypeError('events:PutRule planned for a resource that is not a rule');
  const { rule } = d;
  return new PutRuleCommand({
    Name: rule.name,
    State: 'ENABLED' as SdkRuleState,
    EventPattern: rule.eventPattern ? JSON.stringify(rule.eventPattern) : undefined,
    ScheduleExpression: rule.scheduleExpression ?? undefined,
    Description: step.ruleDescription ?? undefined,
  });
}

/** A refused write as a typed error naming the runbook: access denied is an SCP or a changed role. */
function classified(error: unknown): unknown {
  const code = errorCode(error);
  if (code === 'AccessDeniedException' || code === 'AccessDenied') {
    return new RemediationError(code, `${errorMessage(error)}: logwarden's role may have been changed (see ${RUNBOOK})`, false, {
      cause: error,
    });
  }
  return error;
}

/** The Lambda and IAM removals. A removal of what is already gone is done (idempotent). */
async function applyFunctionOrRoleStep(step: IntegrityStep, ref: IntegrityRef, scope: Scope<IntegrityPolicy>) {
  const iam = () => scope.clients.get(IAMClient, ref.region);
  try {
    if (step.api === 'lambda:DeleteFunctionConcurrency') {
      await scope.clients.get(LambdaClient, ref.region).send(new DeleteFunctionConcurrencyCommand({ FunctionName: ref.id }));
    } else if (step.api === 'iam:DeleteRolePolicy') {
      await iam().send(new DeleteRolePolicyCommand({ RoleName: ref.id, PolicyName: step.policyName }));
    } else if (step.api === 'iam:DetachRolePolicy') {
      await iam().send(new DetachRolePolicyCommand({ RoleName: ref.id, PolicyArn: step.policyArn }));
    } else if (step.api === 'iam:DeleteRolePermissionsBoundary') {
      await iam().send(new DeleteRolePermissionsBoundaryCommand({ RoleName: ref.id }));
    }
  } catch (error) {
    if (errorCode(error) !== 'NoSuchEntity' && errorCode(error) !== 'NoSuchEntityException') throw error;
  }
}

/** Make one write. Each is idempotent: PutRule and PutTargets overwrite, EnableRule on an enabled rule is a no-op. */
export async function applyIntegrityStep(
  step: IntegrityStep,
  ref: IntegrityRef,
  d: DesiredIntegrity,
  scope: Scope<IntegrityPolicy>,
) {
  try {
    switch (step.api) {
      case 'events:EnableRule':
        await scope.clients.get(EventBridgeClient, ref.region).send(new EnableRuleCommand({ Name: ref.id }));
        return;
      case 'events:PutRule':
        await scope.clients.get(EventBridgeClient, ref.region).send(putRule(step, d));
        return;
      case 'events:PutTargets': {
        const Targets = step.targets.map((t) => ({ Id: t.id, Arn: t.arn }));
        const out = await scope.clients.get(EventBridgeClient, ref.region).send(new PutTargetsCommand({ Rule: ref.id, Targets }));
        const [failed] = out.FailedEntries ?? [];
        if (failed)
          throw new RemediationError(failed.ErrorCode ?? 'PutTargetsFailed', `${failed.TargetId}: ${failed.ErrorMessage}`, true);
        return;
      }
      case 's3:PutBucketPolicy': {
        const Policy = JSON.stringify({ Version: '2012-10-17', Statement: step.statements });
        await scope.clients.get(S3Client, ref.region).send(new PutBucketPolicyCommand({ Bucket: ref.id, Policy }));
        return;
      }
      default:
        await applyFunctionOrRoleStep(step, ref, scope);
    }
  } catch (error) {
    throw classified(error);
  }
}
