/**
 * The deployment manifest (`deployment.json`, schema in controllers/integrity/manifest.ts): what one
 * member deployment declares about logwarden's own wiring, written at synth next to the code of the
 * functions that check it. Built from the same pure declarations the member stack builds its
 * constructs from (rule specs, role statements, hook bucket policies), with `{account}`, `{region}`
 * and `{partition}` where the StackSet template holds pseudo parameters; test/infra/manifest.test.ts
 * proves it equals the synthesized template.
 */
import { configRuleName } from '../controllers/core/config-rule.js';
import { LogwardenError } from '../controllers/core/errors.js';
import { type FunctionKind, functionRoleName, ROLE_PATH } from '../controllers/core/identity.js';
import { ownRoleArnsIn } from '../controllers/core/policy.js';
import type { AnyGuardrail } from '../controllers/core/types.js';
import { CANARY_IAM_ACTIONS, CANARY_RULE_NAME, canaryLogGroupArn } from '../controllers/heartbeat/canary.js';
import { HEARTBEAT_IAM_ACTIONS, HEARTBEAT_RULE_NAME } from '../controllers/heartbeat/index.js';
import {
  type DeploymentManifest,
  type ManifestBucketPolicy,
  type ManifestFunction,
  type ManifestPlace,
  type ManifestRole,
  type ManifestRule,
  parseManifest,
} from '../controllers/integrity/manifest.js';
import { type Bundle, type Bundler, type BundleTarget, BundlingError, bundleList, bundleName } from './bundle.js';
import type { Deployment } from './config.js';
import { ROLE_POLICY_NAME, roleStatements } from './function.js';
import { evaluatorRoleGrants, guardrailRuleSpecs, type RuleSpec } from './guardrail-deployment.js';
import { alarmStatePattern, canaryPattern } from './patterns.js';
import { controllerGrants, type Grant } from './permissions.js';

/** The guardrail whose controller and Config-rule evaluator compare the real wiring with the manifest. */
export const INTEGRITY_GUARDRAIL = 'integrity';
/** The controllers' state table (flapping history, leases), one per account and region. */
export const STATE_TABLE_NAME = 'logwarden-state';
/** The rule that forwards logwarden's alarm state changes to the central bus. */
export const ALARMS_RULE_NAME = 'logwarden-alarms-to-central';
/** The placeholders the manifest holds where the template holds pseudo parameters. */
export const PLACEHOLDERS: ManifestPlace = { account: '{account}', region: '{region}', partition: '{partition}' };

/** What the manifest is built from: the validated deployment. */
export type ManifestSource = Pick<Deployment, 'config' | 'policy' | 'guardrails' | 'hooks' | 'bus'>;

/** The heartbeat declares an action whose resources this file does not know how to scope. */
export class HealthCheckGrantError extends LogwardenError {
  constructor(action: string) {
    super('UnscopedHealthCheckAction', `HEARTBEAT_IAM_ACTIONS has ${action}: add its service's resources to infra/manifest.ts`);
  }
}

/** A function's ARN, as EventBridge targets name it. Pure. */
function functionArn(name: string, place: ManifestPlace): string {
  return `arn:${place.partition}:lambda:${place.region}:${place.account}:function:${name}`;
}

/** The bucket policies the enabled guardrails' infra hooks declare (the access-log bucket's). Pure. */
export function ownedBucketPolicies(d: ManifestSource, place: ManifestPlace): ManifestBucketPolicy[] {
  return d.guardrails.flatMap((g) => {
    const hook = d.hooks.get(g.name);
    return (
      hook?.hook.ownedBucketPolicies?.({
        policy: d.policy.guardrails[g.name],
        member: d.config.member,
        config: hook.config,
        place,
      }) ?? []
    );
  });
}

/**
 * The resources of each service the heartbeat's health check reads: logwarden's own, in this account
 * and region. `config:DescribeConfigRules` has no resource-level permissions (and a Config rule's ARN
 * holds a generated id, not its name), so it is on `*`.
 */
const HEALTH_CHECK_SCOPE: Record<string, { sid: string; resources: (p: ManifestPlace, buckets: readonly string[]) => string[] }> =
  {
    events: {
      sid: 'HealthCheckRules',
      resources: (p) => [`arn:${p.partition}:events:${p.region}:${p.account}:rule/logwarden-*`],
    },
    lambda: {
      sid: 'HealthCheckFunctions',
      resources: (p) => [`arn:${p.partition}:lambda:${p.region}:${p.account}:function:logwarden-*`],
    },
    iam: { sid: 'HealthCheckRoles', resources: (p) => [`arn:${p.partition}:iam::${p.account}:role${ROLE_PATH}*`] },
    dynamodb: {
      sid: 'HealthCheckStateTable',
      resources: (p) => [`arn:${p.partition}:dynamodb:${p.region}:${p.account}:table/${STATE_TABLE_NAME}`],
    },
    config: { sid: 'HealthCheckConfigRules', resources: () => ['*'] },
    s3: { sid: 'HealthCheckBucketPolicies', resources: (p, buckets) => buckets.map((b) => `arn:${p.partition}:s3:::${b}`) },
  };

/**
 * The heartbeat's grants: exactly `HEARTBEAT_IAM_ACTIONS`, one statement per service, each on
 * logwarden's own resources. A service with nothing to check (no access-log bucket) gets no statement.
 * An action of an unknown service is an error, so a new health-check call is never silently ungranted.
 * Pure; `place` may hold CDK tokens.
 */
export function heartbeatGrants(
  place: ManifestPlace,
  buckets: readonly string[],
  actions: readonly string[] = HEARTBEAT_IAM_ACTIONS,
): Grant[] {
  const byService = new Map<string, string[]>();
  for (const action of actions) {
    const service = action.split(':')[0] as string;
    if (!HEALTH_CHECK_SCOPE[service]) throw new HealthCheckGrantError(action);
    byService.set(service, [...(byService.get(service) ?? []), action]);
  }
  return [...byService].flatMap(([service, granted]) => {
    const scope = HEALTH_CHECK_SCOPE[service] as (typeof HEALTH_CHECK_SCOPE)[string];
    const resources = scope.resources(place, buckets);
    return resources.length > 0 ? [{ sid: scope.sid, actions: granted, resources }] : [];
  });
}

/**
 * The heartbeat's canary write (#13 item 5): exactly `logs:TagResource` on the canary log group of
 * this account and region, nothing else. Pure; `place` may hold CDK tokens.
 */
export function canaryGrant(place: ManifestPlace): Grant {
  return { sid: 'EventPathCanary', actions: [...CANARY_IAM_ACTIONS], resources: [canaryLogGroupArn(place)] };
}

/** One function of the member stack as the manifest sees it: its code, name, role and statements. */
interface DeclaredFunction {
  target: BundleTarget;
  name: string;
  kind: FunctionKind;
  guardrail: string;
  statements: Grant[];
}

/** Every function of the member stack, with its role statements at `place`. Pure. */
function declaredFunctions(d: ManifestSource, place: ManifestPlace): DeclaredFunction[] {
  // Only the Sids reach the manifest; these stand for ARNs CloudFormation makes up.
  const own = { logGroupArn: 'log-group', deadLetterQueueArn: 'dlq' };
  const perGuardrail = d.guardrails.flatMap((g: AnyGuardrail): DeclaredFunction[] => [
    {
      target: { kind: 'controller', guardrail: g.name },
      name: `logwarden-${g.name}`,
      kind: 'controller',
      guardrail: g.name,
      statements: roleStatements(controllerGrants(g, d.policy.guardrails[g.name], place), {
        ...own,
        auditBusArn: d.bus.arn,
        auditSigningKeyArn: d.policy.audit.signingKey,
        stateTableArn: 'state-table',
      }),
    },
    {
      target: { kind: 'config-rule', guardrail: g.name },
      name: `logwarden-${g.name}-config-rule`,
      kind: 'config-rule',
      guardrail: g.name,
      statements: roleStatements(evaluatorRoleGrants(g), own),
    },
  ]);
  const buckets = ownedBucketPolicies(d, place).map((b) => b.bucket);
  const heartbeat: DeclaredFunction = {
    target: { kind: 'heartbeat' },
    name: 'logwarden-heartbeat',
    kind: 'heartbeat',
    guardrail: 'heartbeat',
    statements: roleStatements([...heartbeatGrants(place, buckets), canaryGrant(place)], {
      logGroupArn: 'log-group',
      auditBusArn: d.bus.arn,
      auditSigningKeyArn: d.policy.audit.signingKey,
      stateTableArn: 'state-table',
    }),
  };
  return [...perGuardrail, heartbeat];
}

/** Every rule of the member stack with its one target. Pure. */
function declaredRules(d: ManifestSource, place: ManifestPlace): ManifestRule[] {
  const ownRoleArns = ownRoleArnsIn(d.policy.controller, place.account, [place.region]);
  const rule = (spec: Pick<RuleSpec, 'name' | 'eventPattern' | 'schedule'>, targetArn: string): ManifestRule => ({
    name: spec.name,
    eventPattern: spec.eventPattern ?? null,
    scheduleExpression: spec.schedule ?? null,
    // CDK names a rule's targets Target0, Target1, ... in the order given.
    targets: [{ id: 'Target0', arn: targetArn }],
  });
  return [
    ...d.guardrails.flatMap((g) =>
      guardrailRuleSpecs(g, d.policy, ownRoleArns).map((s) => rule(s, functionArn(`logwarden-${g.name}`, place))),
    ),
    rule({ name: HEARTBEAT_RULE_NAME, schedule: d.config.member.heartbeatSchedule }, functionArn('logwarden-heartbeat', place)),
    rule({ name: CANARY_RULE_NAME, eventPattern: canaryPattern(place) }, functionArn('logwarden-heartbeat', place)),
    rule({ name: ALARMS_RULE_NAME, eventPattern: alarmStatePattern() }, d.bus.arn),
  ];
}

/**
 * The manifest of one member deployment, with placeholders. `codeSha256` gives each function's code
 * hash, or null where it is not known (yet): see `buildMemberCode` for the order. Pure.
 */
export function deploymentManifest(d: ManifestSource, codeSha256: (t: BundleTarget) => string | null): DeploymentManifest {
  const functions = declaredFunctions(d, PLACEHOLDERS);
  const roleName = (f: DeclaredFunction) => functionRoleName(f.kind, f.guardrail, PLACEHOLDERS.region);
  const declared: DeploymentManifest = {
    schemaVersion: 1,
    rules: declaredRules(d, PLACEHOLDERS),
    functions: functions.map(
      (f): ManifestFunction => ({ name: f.name, roleName: roleName(f), codeSha256: codeSha256(f.target) }),
    ),
    roles: functions.map(
      (f): ManifestRole => ({
        name: roleName(f),
        path: ROLE_PATH,
        inlinePolicyNames: [ROLE_POLICY_NAME],
        statementSids: { [ROLE_POLICY_NAME]: f.statements.map((s) => s.sid) },
      }),
    ),
    stateTable: STATE_TABLE_NAME,
    configRules: d.guardrails.map((g) => configRuleName(g.name)),
    bucketPolicies: ownedBucketPolicies(d, PLACEHOLDERS),
  };
  // Checked against the schema its readers use: a manifest they would refuse fails the synth, not a cold start.
  return parseManifest(declared, 'infra/manifest.ts');
}

/** The member stack's code: every bundle by target, and the manifest the holders carry. */
export interface MemberCode {
  bundle(target: BundleTarget): Bundle;
  /** The last manifest: every hash but the heartbeat's own. */
  manifest: DeploymentManifest;
}

/**
 * Build every bundle of the member stack in the order the hashes need. A package cannot hold its own
 * hash, so: (1) every bundle that does not hold the manifest; M1 = their hashes, null for the three
 * holders; (2) the integrity controller and evaluator, carrying M1; M2 = M1 plus their hashes;
 * (3) the heartbeat, carrying M2. So the heartbeat checks every function's code but its own, and the
 * integrity guardrail checks everything but the integrity functions and the heartbeat.
 */
export function buildMemberCode(
  bundler: Pick<Bundler, 'bundle'>,
  d: ManifestSource & Pick<Deployment, 'policyJson'>,
): MemberCode {
  const built = new Map<string, Bundle>();
  const targets = bundleList({ guardrails: d.guardrails });
  const isIntegrity = (t: BundleTarget) => 'guardrail' in t && t.guardrail === INTEGRITY_GUARDRAIL;
  const build = (t: BundleTarget, manifest?: DeploymentManifest) =>
    built.set(
      bundleName(t),
      bundler.bundle(t, { policyJson: d.policyJson, manifestJson: manifest && `${JSON.stringify(manifest, null, 1)}\n` }),
    );
  const hash = (t: BundleTarget) => built.get(bundleName(t))?.codeSha256 ?? null;
  for (const t of targets.filter((x) => x.kind !== 'heartbeat' && !isIntegrity(x))) build(t);
  const m1 = deploymentManifest(d, hash);
  for (const t of targets.filter(isIntegrity)) build(t, m1);
  const m2 = deploymentManifest(d, hash);
  build({ kind: 'heartbeat' }, m2);
  return {
    manifest: m2,
    bundle: (target) => {
      const b = built.get(bundleName(target));
      if (!b) throw new BundlingError(`${bundleName(target)} is not in the member stack's bundle list`);
      return b;
    },
  };
}
