/**
 * The deployment manifest proves itself against the synthesized StackSet template: the template's
 * pseudo parameters are filled with one account, region and partition by a small intrinsic resolver,
 * the manifest's placeholders with the same, and both must agree on every rule, function, role, the
 * state table, the Config rules and the access-log bucket policy; each function's code asset must
 * hash to the manifest's `codeSha256`.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type DeploymentManifest,
  loadManifest,
  MANIFEST_FILE,
  type ManifestPlace,
  manifestSchema,
  resolveManifest,
} from '../../controllers/integrity/manifest.js';
import {
  type Bundle,
  type BundleFiles,
  type BundleTarget,
  bundleName,
  codeSha256Of,
  deterministicZip,
} from '../../infra/bundle.js';
import type { Deployment } from '../../infra/config.js';
import {
  buildMemberCode,
  deploymentManifest,
  HealthCheckGrantError,
  heartbeatGrants,
  INTEGRITY_GUARDRAIL,
  PLACEHOLDERS,
} from '../../infra/manifest.js';
import type { MemberStack } from '../../infra/member-stack.js';
import { readTemplate, synthExample } from '../../infra/testing.js';
import { evaluate, type PolicyDocument } from '../helpers/policy-eval.js';

const PLACE: ManifestPlace = { account: '123456789012', region: 'eu-west-1', partition: 'aws' };
const PYTHON = join(import.meta.dirname, '..', '..', '.venv', 'bin', 'python');

type Resource = { Type: string; Properties: Record<string, unknown> };
type Resources = Record<string, Resource>;

/**
 * Fills the intrinsics the member template uses where the manifest looks: Ref (pseudo parameters,
 * functions, buckets), Fn::Join and Fn::GetAtt Arn of functions, roles and buckets. Anything else
 * throws, so a new intrinsic cannot pass unnoticed.
 */
function resolver(resources: Resources, place: ManifestPlace) {
  const pseudo: Record<string, string> = {
    'AWS::AccountId': place.account,
    'AWS::Region': place.region,
    'AWS::Partition': place.partition,
  };
  const resolve = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(resolve);
    if (!v || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    if ('Ref' in o) return ref(o.Ref as string);
    if ('Fn::Join' in o) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map((p) => resolve(p) as string).join(sep);
    }
    if ('Fn::GetAtt' in o) return getAtt(...(o['Fn::GetAtt'] as [string, string]));
    if (Object.keys(o).some((k) => k.startsWith('Fn::'))) throw new Error(`unsupported intrinsic ${JSON.stringify(o)}`);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, resolve(x)]));
  };
  const props = (id: string) => {
    const r = resources[id];
    if (!r) throw new Error(`no resource ${id}`);
    return r;
  };
  const ref = (id: string): string => {
    if (pseudo[id]) return pseudo[id] as string;
    const r = props(id);
    if (r.Type === 'AWS::Lambda::Function') return resolve(r.Properties.FunctionName) as string;
    if (r.Type === 'AWS::S3::Bucket') return resolve(r.Properties.BucketName) as string;
    throw new Error(`unsupported Ref to ${r.Type}`);
  };
  const getAtt = (id: string, attr: string): string => {
    const r = props(id);
    if (attr !== 'Arn') throw new Error(`unsupported attribute ${attr}`);
    const p = place;
    switch (r.Type) {
      case 'AWS::Lambda::Function':
        return `arn:${p.partition}:lambda:${p.region}:${p.account}:function:${ref(id)}`;
      case 'AWS::IAM::Role':
        return `arn:${p.partition}:iam::${p.account}:role${r.Properties.Path ?? '/'}${resolve(r.Properties.RoleName)}`;
      case 'AWS::S3::Bucket':
        return `arn:${p.partition}:s3:::${ref(id)}`;
      default:
        // Generated ARNs (queues, log groups, the table): opaque, never compared.
        return `<${id}.Arn>`;
    }
  };
  return resolve;
}

const byName = <T extends { name: string }>(xs: readonly T[]) => [...xs].sort((a, b) => a.name.localeCompare(b.name));

let resources: Resources;
let resolve: (v: unknown) => unknown;
let manifest: DeploymentManifest;
let stack: MemberStack;
let deployment: Deployment;
let assetFile: (key: string) => string;

beforeAll(async () => {
  const built = await synthExample({ nag: false });
  stack = built.template;
  deployment = built.deployment;
  resources = readTemplate(built.templateFile).Resources as Resources;
  resolve = resolver(resources, PLACE);
  manifest = resolveManifest(manifestSchema.parse(stack.manifest), PLACE);
  const assetDir = dirname(built.templateFile);
  assetFile = (key) => {
    const asset = built.templateSynthesizer.assets.find((a) => a.objectKey === key);
    if (!asset) throw new Error(`no asset ${key}`);
    return join(assetDir, asset.fileName);
  };
}, 240_000);

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

describe('the manifest equals the synthesized member template (resolved for one account and region)', () => {
  it('every rule: name, rendered event pattern or schedule, and targets', () => {
    const rules = ofType('AWS::Events::Rule').map(([, r]) => ({
      name: r.Properties.Name as string,
      eventPattern: (resolve(r.Properties.EventPattern) as Record<string, unknown> | undefined) ?? null,
      scheduleExpression: (r.Properties.ScheduleExpression as string | undefined) ?? null,
      targets: (r.Properties.Targets as { Id: string; Arn: unknown }[]).map((t) => ({ id: t.Id, arn: resolve(t.Arn) })),
    }));
    expect(rules.length).toBeGreaterThan(20);
    expect(byName(rules)).toEqual(byName(manifest.rules));
    // The own-role exclusion is concrete: the pattern names this account's roles, not a token.
    const cloudtrail = manifest.rules.find((r) => r.name === 'logwarden-cloudtrail-cloudtrail');
    expect(JSON.stringify(cloudtrail?.eventPattern)).toContain(
      `arn:aws:iam::${PLACE.account}:role/logwarden/logwarden-cloudtrail-controller-${PLACE.region}`,
    );
  });

  it('every function: name and role', () => {
    const functions = ofType('AWS::Lambda::Function').map(([, r]) => ({
      name: r.Properties.FunctionName as string,
      role: resolve(r.Properties.Role),
    }));
    expect(byName(functions)).toEqual(
      byName(manifest.functions).map((f) => ({
        name: f.name,
        role: `arn:aws:iam::${PLACE.account}:role/logwarden/${f.roleName}`,
      })),
    );
  });

  it('every function role: name, path, exactly its inline policies and their statement Sids; no managed or other policy', () => {
    // Function roles: Lambda assumes them (the alarm forwarder on the same path is EventBridge's, not in the manifest).
    const assumedByLambda = (r: { Properties: Record<string, unknown> }) =>
      (r.Properties.AssumeRolePolicyDocument as { Statement: { Principal?: { Service?: unknown } }[] }).Statement.some(
        (st) => st.Principal?.Service === 'lambda.amazonaws.com',
      );
    const roles = ofType('AWS::IAM::Role')
      .filter(([, r]) => r.Properties.Path === '/logwarden/' && assumedByLambda(r))
      .map(([id, r]) => {
        const policies = r.Properties.Policies as { PolicyName: string; PolicyDocument: { Statement: { Sid?: string }[] } }[];
        expect(r.Properties.ManagedPolicyArns, id).toBeUndefined();
        expect(r.Properties.PermissionsBoundary, id).toBeUndefined();
        const attached = ofType('AWS::IAM::Policy').filter(([, p]) =>
          (p.Properties.Roles as { Ref?: string }[]).some((x) => x.Ref === id),
        );
        expect(
          attached.map(([pid]) => pid),
          id,
        ).toEqual([]);
        return {
          name: resolve(r.Properties.RoleName) as string,
          path: r.Properties.Path as string,
          inlinePolicyNames: policies.map((p) => p.PolicyName),
          statementSids: Object.fromEntries(policies.map((p) => [p.PolicyName, p.PolicyDocument.Statement.map((s) => s.Sid)])),
        };
      });
    expect(byName(roles)).toEqual(byName(manifest.roles));
  });

  it('the state table, the Config rules and the access-log bucket policy logwarden owns', () => {
    expect(ofType('AWS::DynamoDB::Table').map(([, r]) => r.Properties.TableName)).toEqual([manifest.stateTable]);
    expect(ofType('AWS::Config::ConfigRule').map(([, r]) => r.Properties.ConfigRuleName)).toEqual(manifest.configRules);
    const policies = ofType('AWS::S3::BucketPolicy').map(([, r]) => ({
      bucket: resolve(r.Properties.Bucket),
      statements: (resolve(r.Properties.PolicyDocument) as { Statement: unknown[] }).Statement,
    }));
    expect(manifest.bucketPolicies).toEqual([
      expect.objectContaining({ bucket: `logwarden-access-logs-${PLACE.account}-${PLACE.region}` }),
    ]);
    expect(policies).toEqual(manifest.bucketPolicies);
  });

  it('each function’s code asset is its deterministic zip, hashing to the manifest’s codeSha256 (null only for the heartbeat)', () => {
    const code = Object.fromEntries(
      ofType('AWS::Lambda::Function').map(([, r]) => [r.Properties.FunctionName, (r.Properties.Code as { S3Key: string }).S3Key]),
    );
    for (const f of manifest.functions) {
      const zip = readFileSync(assetFile(code[f.name] as string));
      const deployed = stack.functions.find((x) => x.functionName === f.name);
      // The staged asset is the bundle's zip, byte for byte (uploaded as is).
      expect(zip.equals(readFileSync(deployed?.bundle.zipFile as string)), f.name).toBe(true);
      if (f.name === 'logwarden-heartbeat') expect(f.codeSha256).toBeNull();
      else expect(codeSha256Of(zip), f.name).toBe(f.codeSha256);
    }
  });

  it('the heartbeat’s and the integrity functions’ bundles carry the manifest as deployment.json; the others do not', () => {
    for (const f of stack.functions) {
      const files = spawnSync('unzip', ['-Z1', f.bundle.zipFile], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
      if (f.functionName.startsWith(`logwarden-${INTEGRITY_GUARDRAIL}`)) {
        expect(files, f.functionName).toEqual(['deployment.json', 'index.mjs', 'policy.json']);
      } else if (f.kind === 'heartbeat') {
        expect(files).toEqual(['deployment.json', 'index.mjs', 'policy.json']);
        // Read as the heartbeat reads it at cold start.
        process.env.LOGWARDEN_MANIFEST_FILE = join(f.bundle.dir, MANIFEST_FILE);
        try {
          expect(loadManifest()).toEqual(stack.manifest);
        } finally {
          delete process.env.LOGWARDEN_MANIFEST_FILE;
        }
      } else {
        expect(files, f.functionName).toEqual(['index.mjs', 'policy.json']);
      }
    }
  });
});

describe('deterministic zips', () => {
  const files = { 'policy.json': new TextEncoder().encode('{}'), 'index.mjs': new TextEncoder().encode('export const x = 1;\n') };

  it('the same files give the same bytes, whatever the order they are given in', () => {
    const reversed = { 'index.mjs': files['index.mjs'], 'policy.json': files['policy.json'] };
    expect(Buffer.from(deterministicZip(files)).equals(Buffer.from(deterministicZip(reversed)))).toBe(true);
    expect(codeSha256Of(deterministicZip(files))).not.toBe(
      codeSha256Of(deterministicZip({ ...files, 'policy.json': files['index.mjs'] })),
    );
  });

  it('reads back with Python’s zipfile: sorted entries, fixed time, rw-r--r-- regular files, same contents', () => {
    const zip = Buffer.from(deterministicZip(files)).toString('base64');
    const script = [
      'import base64, io, json, sys, zipfile',
      'z = zipfile.ZipFile(io.BytesIO(base64.b64decode(sys.stdin.read())))',
      'print(json.dumps([[i.filename, list(i.date_time), oct(i.external_attr >> 16), i.create_system, z.read(i).decode()] for i in z.infolist()]))',
    ].join('\n');
    const run = spawnSync(PYTHON, ['-c', script], { input: zip, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual([
      ['index.mjs', [1980, 1, 1, 0, 0, 0], '0o100644', 3, 'export const x = 1;\n'],
      ['policy.json', [1980, 1, 1, 0, 0, 0], '0o100644', 3, '{}'],
    ]);
  });
});

describe('hash ordering of the manifest holders', () => {
  /** A bundler that records each build and hashes what it was given, without esbuild. */
  function recordingBundler() {
    const calls: { name: string; manifest: DeploymentManifest | undefined }[] = [];
    return {
      calls,
      bundle(t: BundleTarget, files: BundleFiles): Bundle {
        const manifest = files.manifestJson === undefined ? undefined : (JSON.parse(files.manifestJson) as DeploymentManifest);
        calls.push({ name: bundleName(t), manifest });
        const zip = deterministicZip({ [bundleName(t)]: new TextEncoder().encode(files.manifestJson ?? '') });
        return { dir: '', zipFile: '', codeSha256: codeSha256Of(zip), bytes: 0, gzipBytes: 0 };
      },
    };
  }

  it('builds the others first, the integrity functions with M1, the heartbeat last with M2', () => {
    const d = deployment;
    const cloudtrail = d.guardrails.find((g) => g.name === 'cloudtrail');
    if (!cloudtrail) throw new Error('no cloudtrail guardrail');
    // A deployment without the integrity guardrail gets a stand-in with its name.
    const integrity = { ...cloudtrail, name: INTEGRITY_GUARDRAIL };
    const hasIntegrity = d.guardrails.some((g) => g.name === INTEGRITY_GUARDRAIL);
    const withIntegrity = hasIntegrity
      ? d
      : { ...d, guardrails: [...d.guardrails, integrity], policy: withSection(d, INTEGRITY_GUARDRAIL) };
    const bundler = recordingBundler();
    const code = buildMemberCode(bundler, withIntegrity);
    const names = bundler.calls.map((c) => c.name);
    const holders = [`controller-${INTEGRITY_GUARDRAIL}`, `config-rule-${INTEGRITY_GUARDRAIL}`, 'heartbeat'];
    expect(names.slice(-3)).toEqual(holders);
    expect(bundler.calls.slice(0, -3).every((c) => c.manifest === undefined)).toBe(true);
    const hashOf = (fn: string) => (m: DeploymentManifest | undefined) => m?.functions.find((f) => f.name === fn)?.codeSha256;
    const [m1a, m1b, m2] = bundler.calls.slice(-3).map((c) => c.manifest);
    expect(m1a).toEqual(m1b);
    // M1: every other function's hash, null for the three holders.
    const nulls = (m: DeploymentManifest | undefined) => m?.functions.filter((f) => f.codeSha256 === null).map((f) => f.name);
    expect(nulls(m1a)).toEqual([
      `logwarden-${INTEGRITY_GUARDRAIL}`,
      `logwarden-${INTEGRITY_GUARDRAIL}-config-rule`,
      'logwarden-heartbeat',
    ]);
    expect(hashOf('logwarden-cloudtrail')(m1a)).toBe(code.bundle({ kind: 'controller', guardrail: 'cloudtrail' }).codeSha256);
    // M2: M1 plus the integrity functions' hashes; only the heartbeat's own is unknown.
    expect(nulls(m2)).toEqual(['logwarden-heartbeat']);
    expect(hashOf(`logwarden-${INTEGRITY_GUARDRAIL}`)(m2)).toBe(
      code.bundle({ kind: 'controller', guardrail: INTEGRITY_GUARDRAIL }).codeSha256,
    );
    expect(code.manifest).toEqual(m2);
    expect(deploymentManifest(withIntegrity, () => null).functions.map((f) => f.name)).toEqual(m2?.functions.map((f) => f.name));
  });

  function withSection(d: Deployment, name: string): Deployment['policy'] {
    return { ...d.policy, guardrails: { ...d.policy.guardrails, [name]: d.policy.guardrails.cloudtrail } };
  }
});

describe('the heartbeat’s health check grants, by evaluation of its resolved role policy', () => {
  const p = PLACE;
  const other = '210987654321';
  const cases: [string, string, 'allowed' | 'implicit-deny'][] = [
    ['events:DescribeRule', `arn:aws:events:${p.region}:${p.account}:rule/logwarden-cloudtrail-cloudtrail`, 'allowed'],
    ['events:ListTargetsByRule', `arn:aws:events:${p.region}:${p.account}:rule/logwarden-heartbeat`, 'allowed'],
    ['events:DescribeRule', `arn:aws:events:${p.region}:${p.account}:rule/someone-elses-rule`, 'implicit-deny'],
    ['events:DescribeRule', `arn:aws:events:${p.region}:${other}:rule/logwarden-heartbeat`, 'implicit-deny'],
    ['events:DescribeRule', `arn:aws:events:us-east-1:${p.account}:rule/logwarden-heartbeat`, 'implicit-deny'],
    ['lambda:GetFunction', `arn:aws:lambda:${p.region}:${p.account}:function:logwarden-cloudtrail`, 'allowed'],
    ['lambda:GetFunction', `arn:aws:lambda:${p.region}:${p.account}:function:payroll`, 'implicit-deny'],
    ['iam:GetRole', `arn:aws:iam::${p.account}:role/logwarden/logwarden-cloudtrail-controller-${p.region}`, 'allowed'],
    ['iam:ListRolePolicies', `arn:aws:iam::${p.account}:role/logwarden/logwarden-heartbeat-${p.region}`, 'allowed'],
    ['iam:GetRolePolicy', `arn:aws:iam::${p.account}:role/logwarden/logwarden-guardduty-controller-${p.region}`, 'allowed'],
    ['iam:ListAttachedRolePolicies', `arn:aws:iam::${p.account}:role/logwarden/x`, 'allowed'],
    ['iam:GetRole', `arn:aws:iam::${p.account}:role/Admin`, 'implicit-deny'],
    ['iam:GetRole', `arn:aws:iam::${other}:role/logwarden/logwarden-heartbeat-${p.region}`, 'implicit-deny'],
    ['dynamodb:DescribeTable', `arn:aws:dynamodb:${p.region}:${p.account}:table/logwarden-state`, 'allowed'],
    ['dynamodb:DescribeTable', `arn:aws:dynamodb:${p.region}:${p.account}:table/orders`, 'implicit-deny'],
    ['config:DescribeConfigRules', '*', 'allowed'],
    ['s3:GetBucketPolicy', `arn:aws:s3:::logwarden-access-logs-${p.account}-${p.region}`, 'allowed'],
    ['s3:GetBucketPolicy', 'arn:aws:s3:::customer-data', 'implicit-deny'],
    // Reads only: nothing that changes logwarden or anything else.
    ['events:EnableRule', `arn:aws:events:${p.region}:${p.account}:rule/logwarden-heartbeat`, 'implicit-deny'],
    ['iam:PutRolePolicy', `arn:aws:iam::${p.account}:role/logwarden/logwarden-heartbeat-${p.region}`, 'implicit-deny'],
    // The event path canary (#13 item 5): exactly its tag write on its own log group, and its state items.
    ['logs:TagResource', `arn:aws:logs:${p.region}:${p.account}:log-group:/logwarden/canary`, 'allowed'],
    ['logs:TagResource', `arn:aws:logs:${p.region}:${p.account}:log-group:/logwarden/canary-2`, 'implicit-deny'],
    ['logs:TagResource', `arn:aws:logs:${p.region}:${p.account}:log-group:/aws/lambda/logwarden-cloudtrail`, 'implicit-deny'],
    ['logs:TagResource', `arn:aws:logs:us-east-1:${p.account}:log-group:/logwarden/canary`, 'implicit-deny'],
    ['logs:TagResource', `arn:aws:logs:${p.region}:${other}:log-group:/logwarden/canary`, 'implicit-deny'],
    ['logs:UntagResource', `arn:aws:logs:${p.region}:${p.account}:log-group:/logwarden/canary`, 'implicit-deny'],
    ['logs:DeleteLogGroup', `arn:aws:logs:${p.region}:${p.account}:log-group:/logwarden/canary`, 'implicit-deny'],
    ['logs:PutLogEvents', `arn:aws:logs:${p.region}:${p.account}:log-group:/logwarden/canary:log-stream:x`, 'implicit-deny'],
    ['ssm:PutParameter', `arn:aws:ssm:${p.region}:${p.account}:parameter/logwarden/canary`, 'implicit-deny'],
    ['dynamodb:PutItem', `arn:aws:dynamodb:${p.region}:${p.account}:table/orders`, 'implicit-deny'],
  ];

  it('refuses a health-check action whose resources it cannot scope, and drops the bucket statement when there is no bucket', () => {
    expect(() => heartbeatGrants(PLACE, [], ['sqs:GetQueueUrl'])).toThrow(HealthCheckGrantError);
    const grants = heartbeatGrants(PLACE, []);
    expect(grants.flatMap((g) => g.actions)).not.toContain('s3:GetBucketPolicy');
    expect(grants.map((g) => g.sid)).toEqual([
      'HealthCheckRules',
      'HealthCheckFunctions',
      'HealthCheckRoles',
      'HealthCheckStateTable',
      'HealthCheckConfigRules',
    ]);
  });

  const heartbeatPolicies = () => {
    const fn = stack.functions.find((f) => f.kind === 'heartbeat');
    const roleId = stack.getLogicalId(fn?.role.node.defaultChild as never);
    const policies = (resources[roleId]?.Properties.Policies ?? []) as { PolicyDocument: unknown }[];
    return policies.map((x) => resolve(x.PolicyDocument) as PolicyDocument);
  };

  it.each(cases)('%s on %s → %s', (action, resource, decision) => {
    const documents = heartbeatPolicies();
    expect(documents.length).toBe(1);
    expect(evaluate(documents, { action, resource, context: {} })).toBe(decision);
  });

  it("reads and writes the canary's items in the state table (its generated ARN filled in as CloudFormation would)", () => {
    const opaque = `<${stack.getLogicalId(stack.stateTable.node.defaultChild as never)}.Arn>`;
    const table = `arn:aws:dynamodb:${p.region}:${p.account}:table/logwarden-state`;
    const documents = JSON.parse(JSON.stringify(heartbeatPolicies()).split(opaque).join(table)) as PolicyDocument[];
    for (const action of ['dynamodb:GetItem', 'dynamodb:PutItem']) {
      expect(evaluate(documents, { action, resource: table, context: {} }), action).toBe('allowed');
    }
    expect(evaluate(documents, { action: 'dynamodb:Scan', resource: table, context: {} })).toBe('implicit-deny');
    expect(evaluate(documents, { action: 'dynamodb:PutItem', resource: `${table}-2`, context: {} })).toBe('implicit-deny');
  });
});

describe('placeholders', () => {
  it('the unresolved manifest names no CDK token and uses the placeholders', () => {
    const raw = JSON.stringify(stack.manifest);
    expect(raw).not.toMatch(/\$\{Token\[/);
    expect(raw).toContain(PLACEHOLDERS.account);
    expect(raw).toContain(`arn:${PLACEHOLDERS.partition}:lambda:${PLACEHOLDERS.region}:${PLACEHOLDERS.account}:function:`);
  });
});
