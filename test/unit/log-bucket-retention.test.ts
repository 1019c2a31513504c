import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CloudTrailDetail } from '../../controllers/core/types.js';
import { deniesLogDelivery, mergedStatements } from '../../controllers/integrity/diff.js';
import {
  DRIFT,
  desiredRetention,
  diffRetention,
  planRetention,
  type RetentionState,
  reportOnlyReason,
  skipReasonOf,
  unrestorableReason,
} from '../../controllers/log-bucket-retention/diff.js';
import {
  LOG_BUCKET_EVENT_SAMPLE,
  logBucketRef,
  refsFromEvent,
  resolveLogBucket,
} from '../../controllers/log-bucket-retention/events.js';
import { logBucketRetention } from '../../controllers/log-bucket-retention/index.js';
import {
  judgeBucketPolicy,
  judgeLifecycle,
  LOG_DELIVERY_SERVICES,
  shortRetentionOf,
} from '../../controllers/log-bucket-retention/judge.js';
import { logBucketRetentionPolicySchema } from '../../controllers/log-bucket-retention/policy.js';
import { ROOT } from '../../infra/config.js';
import { controllerGrants } from '../../infra/permissions.js';
import { evaluate, type PolicyDocument } from '../helpers/policy-eval.js';

const where = { account: '123456789012', region: 'us-east-1' };
const OWNED = `logwarden-access-logs-${where.account}-${where.region}`;
const MEMBER = `elb-logs-${where.account}-${where.region}`;
const policy = (extra: Record<string, unknown> = {}) =>
  logBucketRetentionPolicySchema.parse({
    minimumRetentionDays: 90,
    buckets: [
      { name: 'logwarden-access-logs-{account}-{region}', owner: 'logwarden' },
      { name: 'elb-logs-{account}-{region}', owner: 'member' },
    ],
    ...extra,
  });
const owned = logBucketRef(OWNED, 'logwarden-access-logs-{account}-{region}', where);
const member = logBucketRef(MEMBER, 'elb-logs-{account}-{region}', where);
const ctx = { account: where.account, bucket: OWNED };
const objects = `arn:aws:s3:::${OWNED}/*`;

/** The access-log bucket's own statements, as the member stack writes them (bucket-logging/infra.ts). */
const OWN_STATEMENTS: Record<string, unknown>[] = [
  {
    Sid: 'DenyInsecureTransport',
    Effect: 'Deny',
    Principal: { AWS: '*' },
    Action: 's3:*',
    Resource: [`arn:aws:s3:::${OWNED}`, objects],
    Condition: { Bool: { 'aws:SecureTransport': 'false' } },
  },
  {
    Sid: 'S3ServerAccessLogsFromThisAccount',
    Effect: 'Allow',
    Principal: { Service: 'logging.s3.amazonaws.com' },
    Action: 's3:PutObject',
    Resource: objects,
    Condition: { StringEquals: { 'aws:SourceAccount': where.account } },
  },
];
const deny = (over: Record<string, unknown> = {}) => ({
  Sid: 'Quiet',
  Effect: 'Deny',
  Principal: { Service: 'logging.s3.amazonaws.com' },
  Action: 's3:PutObject',
  Resource: objects,
  ...over,
});
const text = (statements: unknown[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });
const bucket = (over: Partial<Extract<RetentionState, { kind: 'bucket' }>> = {}): RetentionState => ({
  kind: 'bucket',
  region: where.region,
  versioning: 'Enabled',
  lifecycle: { rules: [], transitionDefaultMinimumObjectSize: null },
  policy: text(OWN_STATEMENTS),
  ...over,
});
const rules = (...list: unknown[]) => ({ rules: list, transitionDefaultMinimumObjectSize: null });
const detail = (eventName: string, requestParameters: Record<string, unknown> | null): CloudTrailDetail => ({
  eventName,
  eventSource: 's3.amazonaws.com',
  eventID: 'e-1',
  awsRegion: where.region,
  recipientAccountId: where.account,
  errorCode: null,
  userIdentity: null,
  requestParameters,
  responseElements: null,
});

describe('log-bucket-retention policy', () => {
  it('accepts templates with {account} (and {region}); defaults to remediate and 365 days', () => {
    expect(logBucketRetentionPolicySchema.parse({ buckets: [{ name: 'logs-{account}', owner: 'member' }] })).toEqual({
      mode: 'remediate',
      minimumRetentionDays: 365,
      buckets: [{ name: 'logs-{account}', owner: 'member' }],
    });
  });
  it.each([
    [{ buckets: [] }, 'buckets: must list at least one log bucket'],
    [{ buckets: [{ name: 'shared-logs', owner: 'member' }] }, 'buckets.0.name: must contain {account}'],
    [{ buckets: [{ name: 'logs-{account}-{prefix}', owner: 'member' }] }, 'buckets.0.name: unknown placeholder(s) {prefix}'],
    [{ buckets: [{ name: 'logs-{account}-*', owner: 'member' }] }, 'buckets.0.name: does not give a valid bucket name'],
    [{ buckets: [{ name: 'Logs-{account}', owner: 'member' }] }, 'buckets.0.name: does not give a valid bucket name'],
    [{ buckets: [{ name: 'logs-{account}', owner: 'someone' }] }, 'buckets.0.owner'],
    [{ buckets: [{ name: 'logs-{account}' }] }, 'buckets.0.owner'],
    [
      {
        buckets: [
          { name: 'logs-{account}', owner: 'member' },
          { name: 'logs-{account}', owner: 'logwarden' },
        ],
      },
      'buckets.1.name: duplicate log bucket logs-{account}',
    ],
    [{ buckets: [{ name: 'logs-{account}', owner: 'member' }], minimumRetentionDays: 0 }, 'minimumRetentionDays'],
    [{ buckets: [{ name: 'logs-{account}', owner: 'member' }], minimumRetentionDays: 1.5 }, 'minimumRetentionDays'],
    [{ buckets: [{ name: 'logs-{account}', owner: 'member' }], retention: 30 }, 'retention'],
  ])('rejects %j, naming the field', (section, message) => {
    const result = logBucketRetentionPolicySchema.safeParse(section);
    expect(result.success).toBe(false);
    const issues = result.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n') ?? '';
    expect(issues).toContain(message);
  });
});

describe('log-bucket-retention events', () => {
  it('every sample names a bucket of the demo-like policy (the fuzz test starts from them)', () => {
    const demoPolicy = policy({ buckets: [{ name: 'logwarden-demo-retention-{account}-{region}', owner: 'logwarden' }] });
    for (const name of logBucketRetention.cloudTrailEvents[0]?.eventNames ?? []) {
      const sample = LOG_BUCKET_EVENT_SAMPLE.perEvent?.[name] ?? LOG_BUCKET_EVENT_SAMPLE;
      expect(refsFromEvent(detail(name, sample.requestParameters), demoPolicy, where), name).toHaveProperty('refs');
    }
  });
  it('the exact name of this account and region only; old records with list values too', () => {
    expect(refsFromEvent(detail('PutBucketLifecycle', { bucketName: OWNED, Host: 'h', lifecycle: '' }), policy(), where)).toEqual(
      {
        refs: [owned],
      },
    );
    expect(
      refsFromEvent(detail('DeleteBucketPolicy', { bucketName: [MEMBER], host: ['h'], policy: [''] }), policy(), where),
    ).toEqual({
      refs: [member],
    });
  });
  it.each([
    [`logwarden-access-logs-${where.account}-eu-west-1`, /not one of the log buckets of account 123456789012 in us-east-1/],
    [`logwarden-access-logs-${where.account}-zz-evil-1`, /not one of the log buckets/],
    [`logwarden-access-logs-999999999999-${where.region}`, /not one of the log buckets/],
  ])('ignores %s with the reason', (name, reason) => {
    const resolved = resolveLogBucket(name, policy(), where);
    expect(resolved).toMatchObject({ ignore: expect.stringMatching(reason), resource: { id: name } });
  });
  it.each([
    [null, /without requestParameters/],
    [{}, /without a string requestParameters.bucketName/],
    [{ bucketName: 42 }, /without a string/],
    [{ bucketName: ['a', 'b'] }, /without a string/],
    [{ bucketName: '' }, /without a string/],
  ])('a malformed record %j is ignored, never a crash', (params, reason) => {
    expect(refsFromEvent(detail('PutBucketPolicy', params), policy(), where)).toMatchObject({
      ignore: expect.stringMatching(reason),
    });
  });
});

describe('lifecycle judgement', () => {
  const days = (d: number, over: Record<string, unknown> = {}) => ({
    ID: `r${d}`,
    Status: 'Enabled',
    Filter: {},
    Expiration: { Days: d },
    ...over,
  });
  it('expiration below the minimum offends, at or above it does not', () => {
    expect(shortRetentionOf(days(89), 0, 90)).toEqual({
      rule: 'r89',
      appliesTo: 'every object',
      problems: ['expires current objects after 89 day(s) (minimum 90)'],
    });
    expect(shortRetentionOf(days(90), 0, 90)).toBeNull();
  });
  it('a date-based expiration offends whatever the date', () => {
    const future = days(0, { Expiration: { Date: new Date('2999-01-01T00:00:00Z') } });
    expect(shortRetentionOf(future, 0, 90)?.problems[0]).toMatch(/^expires current objects on a fixed date/);
  });
  it('transitions count, by days or date; disabled rules do not', () => {
    const move = { ID: 'glacier', Status: 'Enabled', Prefix: 'logs/', Transitions: [{ Days: 30, StorageClass: 'GLACIER' }] };
    expect(shortRetentionOf(move, 0, 90)).toEqual({
      rule: 'glacier',
      appliesTo: 'objects under "logs/"',
      problems: ['moves current objects to GLACIER after 30 day(s) (minimum 90)'],
    });
    const dated = {
      Status: 'Enabled',
      Filter: { Prefix: '' },
      Transitions: { Date: '2030-01-01', StorageClass: 'DEEP_ARCHIVE' },
    };
    expect(shortRetentionOf(dated, 2, 90)).toMatchObject({
      rule: '#3',
      problems: [expect.stringMatching(/DEEP_ARCHIVE on a fixed date/)],
    });
    expect(shortRetentionOf({ ...days(1), Status: 'Disabled' }, 0, 90)).toBeNull();
  });
  it('every filter shape is judged (tag, And, size, empty, legacy Prefix): the filter never clears a rule', () => {
    for (const Filter of [
      { Tag: { Key: 'k', Value: 'v' } },
      { And: { Prefix: 'AWSLogs/', Tags: [] } },
      { ObjectSizeGreaterThan: 1 },
      {},
    ]) {
      expect(shortRetentionOf(days(1, { Filter }), 0, 90), JSON.stringify(Filter)).not.toBeNull();
    }
    expect(shortRetentionOf(days(1, { Filter: { Tag: { Key: 'k', Value: 'v' } } }), 0, 90)?.appliesTo).toBe(
      'objects matching its filter',
    );
    expect(shortRetentionOf({ ...days(1), Filter: undefined, Prefix: '' }, 0, 90)?.appliesTo).toBe('every object');
  });
  it('noncurrent-version rules, delete markers and aborted uploads are fine', () => {
    const fine = [
      { ID: 'old', Status: 'Enabled', Filter: {}, NoncurrentVersionExpiration: { NoncurrentDays: 1 } },
      {
        ID: 'old-move',
        Status: 'Enabled',
        Filter: {},
        NoncurrentVersionTransitions: [{ NoncurrentDays: 1, StorageClass: 'GLACIER' }],
      },
      { ID: 'markers', Status: 'Enabled', Filter: {}, Expiration: { ExpiredObjectDeleteMarker: true } },
      { ID: 'uploads', Status: 'Enabled', Filter: {}, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } },
    ];
    expect(judgeLifecycle(fine, 90)).toEqual({ kept: fine, offending: [] });
  });
  it('bad input is judged against the bucket (fail closed), never a crash', () => {
    expect(shortRetentionOf(null, 0, 90)).toMatchObject({ problems: ['unreadable lifecycle rule'] });
    expect(shortRetentionOf('rule', 4, 90)).toMatchObject({ rule: '#5' });
    expect(shortRetentionOf(days(0, { Expiration: { Days: '1' } }), 0, 90)?.problems).toEqual([
      'unreadable expires current objects Days "1"',
    ]);
    expect(shortRetentionOf(days(0, { Expiration: 'soon' }), 0, 90)?.problems).toEqual([
      'unreadable expires current objects action',
    ]);
    expect(shortRetentionOf({ Status: 'Enabled', Transitions: [null] }, 0, 90)?.problems[0]).toMatch(
      /^unreadable moves current objects/,
    );
  });
});

describe('bucket policy judgement', () => {
  it("logwarden's own access-log statements never count as denying delivery", () => {
    expect(judgeBucketPolicy(text(OWN_STATEMENTS), ctx)).toMatchObject({ readable: true, kept: OWN_STATEMENTS, denying: [] });
  });
  it.each([
    ['a delivery service', deny(), 'logging.s3.amazonaws.com without a condition'],
    [
      'several services, case-insensitive',
      deny({ Principal: { Service: ['CloudTrail.amazonaws.com', 'example.com'] } }),
      'cloudtrail.amazonaws.com',
    ],
    ['Principal *', deny({ Principal: '*' }), 'every principal'],
    ['Principal AWS *', deny({ Principal: { AWS: ['*'] } }), 'every principal'],
    [
      'NotPrincipal sparing only S3 logging',
      deny({ Principal: undefined, NotPrincipal: { Service: 'logging.s3.amazonaws.com' } }),
      'delivery.logs.amazonaws.com',
    ],
    ['a wildcard action', deny({ Action: ['s3:Put*'] }), 'logging.s3'],
    ['NotAction without PutObject', deny({ Action: undefined, NotAction: 's3:GetObject' }), 'logging.s3'],
    ['a prefix of the objects', deny({ Resource: `arn:aws:s3:::${OWNED}/AWSLogs/*` }), 'logging.s3'],
    ['another partition', deny({ Resource: `arn:aws-us-gov:s3:::${OWNED}/*` }), 'logging.s3'],
    ['Resource *', deny({ Resource: '*' }), 'logging.s3'],
    ['NotResource of another bucket', deny({ Resource: undefined, NotResource: 'arn:aws:s3:::other/*' }), 'logging.s3'],
    [
      'a condition delivery may meet',
      deny({ Condition: { StringEquals: { 'aws:SourceAccount': where.account } } }),
      'with a condition log delivery may meet',
    ],
    ['SecureTransport true', deny({ Condition: { Bool: { 'aws:SecureTransport': 'true' } } }), 'with a condition'],
    ['SecureTransport either', deny({ Condition: { Bool: { 'aws:SecureTransport': ['false', 'true'] } } }), 'with a condition'],
  ])('denying: %s', (_what, statement, problem) => {
    const judged = judgeBucketPolicy(text([...OWN_STATEMENTS, statement]), ctx);
    expect(judged).toMatchObject({
      readable: true,
      kept: OWN_STATEMENTS,
      denying: [{ statement: 'Quiet', problem: expect.stringContaining(problem) }],
    });
  });
  it.each([
    ['an Allow', deny({ Effect: 'Allow' })],
    ['another service', deny({ Principal: { Service: 'ec2.amazonaws.com' } })],
    ['one role', deny({ Principal: { AWS: 'arn:aws:iam::123456789012:role/x' } })],
    ['another action', deny({ Action: 's3:DeleteObject' })],
    ['NotAction sparing PutObject', deny({ Action: undefined, NotAction: ['s3:Put*'] })],
    ['the bucket, not its objects', deny({ Resource: `arn:aws:s3:::${OWNED}` })],
    ['another bucket', deny({ Resource: `arn:aws:s3:::${OWNED}-other/*` })],
    ['NotResource sparing the objects', deny({ Resource: undefined, NotResource: objects })],
    ['insecure transport only', deny({ Condition: { Bool: { 'aws:SecureTransport': false } } })],
    ['other source accounts only', deny({ Condition: { StringNotEquals: { 'aws:SourceAccount': [where.account] } } })],
  ])('not denying: %s', (_what, statement) => {
    expect(judgeBucketPolicy(text([statement]), ctx)).toMatchObject({ readable: true, denying: [] });
  });
  it('a Deny of each delivery service the runbook lists is denying', () => {
    const runbook = readFileSync(join(ROOT, 'runbooks', 'log-bucket-retention.md'), 'utf8');
    for (const service of LOG_DELIVERY_SERVICES) {
      expect(runbook).toContain(`\`${service}\``);
      const judged = judgeBucketPolicy(text([deny({ Principal: { Service: service } })]), ctx);
      expect(judged, service).toMatchObject({ denying: [{ statement: 'Quiet', problem: expect.stringContaining(service) }] });
    }
  });
  it('a statement without a Sid is named by its position', () => {
    expect(judgeBucketPolicy(text([OWN_STATEMENTS[1], deny({ Sid: undefined })]), ctx)).toMatchObject({
      denying: [{ statement: '#2' }],
    });
  });
  it.each([
    ['{"Statement": [', /not JSON/],
    ['[]', /not a JSON object/],
    ['null', /not a JSON object/],
    ['{"Statement": ["x"]}', /statement #1 .* not an object/],
  ])('malformed policy %s is unreadable', (policyText, problem) => {
    expect(judgeBucketPolicy(policyText, ctx)).toMatchObject({ readable: false, problem: expect.stringMatching(problem) });
  });
});

describe('diff and plan', () => {
  const d = desiredRetention(owned, policy());
  const oneDay = { ID: 'cleanup', Status: 'Enabled', Filter: {}, Expiration: { Days: 1 } };
  const keep = { ID: 'year', Status: 'Enabled', Filter: {}, Expiration: { Days: 365 } };
  it('a healthy bucket has no drift; a missing or elsewhere bucket is skipped', () => {
    expect(diffRetention(bucket({ lifecycle: rules(keep) }), d)).toEqual([]);
    expect(skipReasonOf(owned, { kind: 'missing' }, where.region)).toMatch(/does not exist/);
    expect(skipReasonOf(owned, { kind: 'elsewhere', region: 'eu-west-1' }, where.region)).toMatch(/is in eu-west-1/);
    expect(skipReasonOf(owned, bucket(), where.region)).toBeNull();
  });
  it('versioning, lifecycle and policy drift; the plan removes only the offending rules and statements', () => {
    const state = bucket({ versioning: 'Suspended', lifecycle: rules(keep, oneDay), policy: text([...OWN_STATEMENTS, deny()]) });
    const drift = diffRetention(state, d);
    expect(drift.map((x) => x.property)).toEqual([DRIFT.versioning, DRIFT.lifecycle, DRIFT.policy]);
    expect(drift.filter((x) => logBucketRetention.loggingOffDrift.includes(x.property)).map((x) => x.property)).toEqual([
      DRIFT.lifecycle,
      DRIFT.policy,
    ]);
    expect(planRetention(state, d, drift)).toEqual([
      {
        api: 's3:PutBucketPolicy',
        description: 'remove statement(s) Quiet that deny log delivery, keep 2 other(s)',
        document: { Version: '2012-10-17', Statement: OWN_STATEMENTS },
      },
      {
        api: 's3:PutLifecycleConfiguration',
        write: 'put',
        description: 'remove lifecycle rule(s) cleanup, keep 1 other rule(s)',
        lifecycle: rules(keep),
      },
      { api: 's3:PutBucketVersioning', description: `enable versioning on ${OWNED}` },
    ]);
  });
  it('nothing left: the lifecycle configuration and the policy are deleted', () => {
    const state = bucket({ lifecycle: rules(oneDay), policy: text([deny()]) });
    const steps = planRetention(state, d, diffRetention(state, d));
    expect(steps.map((s) => [s.api, 'write' in s ? s.write : null])).toEqual([
      ['s3:DeleteBucketPolicy', null],
      ['s3:PutLifecycleConfiguration', 'delete'],
    ]);
  });
  it('a member-owned bucket plans nothing and is reported, naming rules, statements and the runbook', () => {
    const dm = desiredRetention(member, policy());
    const state = bucket({
      versioning: 'Disabled',
      lifecycle: rules(oneDay),
      policy: text([deny({ Resource: `arn:aws:s3:::${MEMBER}/*` })]),
    });
    const drift = diffRetention(state, dm);
    expect(drift).toHaveLength(3);
    expect(planRetention(state, dm, drift)).toEqual([]);
    expect(logBucketRetention.reportOnly?.(member, state, drift, policy())).toBe(
      `log bucket ${MEMBER} is member-owned: logwarden reports, the account's team fixes it (lifecycle rule(s) cleanup expire or move logs too early; bucket policy statement(s) Quiet deny log delivery; versioning is Disabled; see runbooks/log-bucket-retention.md)`,
    );
    expect(reportOnlyReason(d, drift, 'r')).toBeNull();
  });
  it('a ref whose template left the policy is treated as member-owned (never written)', () => {
    const gone = logBucketRef('old-logs-123456789012', 'old-logs-{account}', where);
    expect(desiredRetention(gone, policy()).owner).toBe('member');
  });
  it('an unreadable policy is never rewritten: unrestorable, with the runbook', () => {
    const state = bucket({ policy: '{"Statement": [' });
    const drift = diffRetention(state, d);
    expect(drift).toMatchObject([{ property: DRIFT.unreadablePolicy }]);
    expect(planRetention(state, d, drift)).toEqual([]);
    expect(unrestorableReason(d, drift, 'runbooks/log-bucket-retention.md')).toMatch(
      /cannot be judged .*not JSON.*runbooks\/log-bucket-retention\.md/,
    );
  });
});

describe('with the integrity guardrail on the access-log bucket', () => {
  const want = { bucket: OWNED, statements: OWN_STATEMENTS as never };
  /** Integrity's write (its Sid merge), as planIntegrity makes it. */
  const integrityRound = (statements: Record<string, unknown>[]) => mergedStatements(statements, want);
  /** This guardrail's write, as planned; unchanged when it plans none. */
  function retentionRound(statements: Record<string, unknown>[]): Record<string, unknown>[] {
    const state = bucket({ policy: text(statements) });
    const d = desiredRetention(owned, policy());
    const step = planRetention(state, d, diffRetention(state, d)).find((s) => s.api === 's3:PutBucketPolicy');
    return step && 'document' in step ? (step.document.Statement as Record<string, unknown>[]) : statements;
  }
  const tampered = [
    {
      Sid: 'Theirs',
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::123456789012:root' },
      Action: 's3:GetObject',
      Resource: objects,
    },
    { ...OWN_STATEMENTS[1], Effect: 'Deny' },
    deny(),
    deny({ Sid: 'NoTrail', Principal: { Service: 'cloudtrail.amazonaws.com' } }),
    deny({ Sid: 'Everyone', Principal: '*', Condition: { StringLike: { 'aws:userid': '*' } } }),
    OWN_STATEMENTS[0],
  ] as Record<string, unknown>[];

  it.each([
    ['integrity first', [integrityRound, retentionRound]],
    ['this guardrail first', [retentionRound, integrityRound]],
  ] as const)('%s: one round each reaches a policy both leave unchanged (a fixed point)', (_order, [first, second]) => {
    const settled = second(first(tampered));
    expect(integrityRound(settled)).toEqual(settled);
    expect(retentionRound(settled)).toEqual(settled);
    expect(settled.map((s) => s.Sid).sort()).toEqual(['DenyInsecureTransport', 'S3ServerAccessLogsFromThisAccount', 'Theirs']);
    expect(settled.filter((s) => deniesLogDelivery(s) && s.Sid !== 'DenyInsecureTransport')).toEqual([]);
  });
});

describe('permissions', () => {
  const section = policy();
  const document: PolicyDocument = {
    Version: '2012-10-17',
    Statement: controllerGrants(logBucketRetention, section, { account: where.account, partition: 'aws' }).map((g) => ({
      Effect: 'Allow',
      Action: g.actions,
      Resource: g.resources,
    })),
  };
  const decision = (action: string, bucketName: string) =>
    evaluate([document], { action, resource: `arn:aws:s3:::${bucketName}`, context: {} });

  it('the writes are allowed on the logwarden-owned bucket of any account and region, nowhere else', () => {
    for (const action of [
      's3:PutBucketVersioning',
      's3:PutLifecycleConfiguration',
      's3:PutBucketPolicy',
      's3:DeleteBucketPolicy',
    ]) {
      expect(decision(action, OWNED), action).toBe('allowed');
      expect(decision(action, 'logwarden-access-logs-210987654321-eu-west-1'), action).toBe('allowed');
      expect(decision(action, MEMBER), action).toBe('implicit-deny');
      expect(decision(action, 'payroll-data'), action).toBe('implicit-deny');
    }
  });
  it('the reads are allowed on any bucket; no write when no bucket is logwarden-owned', () => {
    for (const action of logBucketRetention.iamActions) expect(decision(action, MEMBER)).toBe('allowed');
    expect(logBucketRetention.scopedPermissions?.(policy({ buckets: [{ name: 'x-{account}', owner: 'member' }] }))).toEqual([]);
  });
});
