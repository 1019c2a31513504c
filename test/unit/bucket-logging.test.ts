import { describe, expect, it } from 'vitest';
import {
  aclAllowsLogDelivery,
  type BucketState,
  bucketDeliveryProblem,
  desiredLogging,
  diffLogging,
  LOG_DELIVERY_GROUP,
  planLogging,
  policyAllowsLogDelivery,
} from '../../controllers/bucket-logging/diff.js';
import {
  bucketRef,
  excludedBy,
  exclusionOf,
  isLogBucketName,
  logBucketExclusion,
  logBucketName,
  refsFromEvent,
  regionOfLocation,
} from '../../controllers/bucket-logging/events.js';
import { bucketLogging } from '../../controllers/bucket-logging/index.js';
import {
  type BucketLoggingPolicy,
  bucketLoggingPolicySchema,
  excludeEntryProblem,
} from '../../controllers/bucket-logging/policy.js';
import { parsePolicy } from '../../controllers/core/policy.js';
import type { CloudTrailDetail } from '../../controllers/core/types.js';
import { createBucketRequest, putBucketLoggingRequest } from '../helpers/bucket-logging.js';
import { ACCOUNT } from '../helpers/emulator.js';
import { policyWith } from '../helpers/policy.js';

const policy = (extra: Record<string, unknown> = {}): BucketLoggingPolicy =>
  bucketLoggingPolicySchema.parse({ logBucket: { prefix: 's3-access-logs' }, ...extra });
const LOG_BUCKET = `s3-access-logs-${ACCOUNT}-us-east-1`;
const scope = { account: ACCOUNT, region: 'us-east-1' };

const detail = (eventName: string, requestParameters: Record<string, unknown> | null): CloudTrailDetail => ({
  eventName,
  eventSource: 's3.amazonaws.com',
  eventID: 'e-1',
  awsRegion: 'us-east-1',
  recipientAccountId: ACCOUNT,
  errorCode: null,
  userIdentity: null,
  requestParameters,
  responseElements: null,
});

describe('bucket-logging policy section', () => {
  it('applies the defaults: {prefix}-{account}-{region}, {bucket}/, partitioned by event time, page size 1000', () => {
    expect(policy()).toEqual({
      mode: 'remediate',
      logBucket: { prefix: 's3-access-logs', template: '{prefix}-{account}-{region}' },
      targetPrefix: '{bucket}/',
      targetObjectKeyFormat: { partitionedPrefix: { partitionDateSource: 'EventTime' } },
      excludeBuckets: [],
      sweep: { pageSize: 1000 },
    });
  });

  it('is accepted inside a whole policy document', () => {
    const doc = policyWith({ 'bucket-logging': { logBucket: { prefix: 'logs' }, mode: 'notify' } });
    expect(parsePolicy(doc, [bucketLogging]).guardrails['bucket-logging']).toMatchObject({ mode: 'notify' });
  });

  it.each([
    [{ logBucket: { template: 'logs-{account}' } }, 'logBucket.template', 'must contain {region}'],
    [{ logBucket: { template: '{prefix}-{region}' } }, 'logBucket.prefix', 'set logBucket.prefix'],
    [{ logBucket: { prefix: 'x', template: '{prefix}-{acct}-{region}' } }, 'logBucket.template', 'unknown placeholder(s) {acct}'],
    [
      { logBucket: { prefix: 'x', template: '{prefix}_{account}_{region}' } },
      'logBucket.template',
      'does not give a valid bucket name',
    ],
    [{ logBucket: { prefix: 'UPPER' } }, 'logBucket.prefix', 'lowercase'],
    [{ logBucket: { prefix: 'x' }, targetPrefix: '{bucketname}/' }, 'targetPrefix', 'unknown placeholder(s) {bucketname}'],
    [
      { logBucket: { prefix: 'x' }, targetObjectKeyFormat: { partitionedPrefix: { partitionDateSource: 'Yesterday' } } },
      'targetObjectKeyFormat',
      '',
    ],
    [{ logBucket: { prefix: 'x' }, excludeBuckets: ['bad/pattern'] }, 'excludeBuckets.0', 'is not a bucket name'],
    [{ logBucket: { prefix: 'x' }, excludeBuckets: ['ok', 'cdk-*-assets-*'] }, 'excludeBuckets.1', 'escape access logging'],
    [{ logBucket: { prefix: 'x' }, excludeBuckets: ['{bucket}-copy'] }, 'excludeBuckets.0', 'unknown placeholder(s) {bucket}'],
    [{ logBucket: { prefix: 'x' }, sweep: { pageSize: 20_000 } }, 'sweep.pageSize', ''],
    [{ logBucket: { prefix: 'x' }, targetBucket: 'typo' }, '', 'targetBucket'],
  ])('rejects %j at %s', (section, path, message) => {
    const result = bucketLoggingPolicySchema.safeParse(section);
    expect(result.success).toBe(false);
    const issue = result.error?.issues.find((i) => i.path.join('.').startsWith(path));
    expect(issue, JSON.stringify(result.error?.issues)).toBeDefined();
    expect(JSON.stringify(result.error?.issues)).toContain(message);
  });

  it('accepts the simple key format and a template without {prefix}', () => {
    const p = policy({ logBucket: { template: 'acme-logs-{account}-{region}' }, targetObjectKeyFormat: { simplePrefix: {} } });
    expect(logBucketName(p, ACCOUNT, 'eu-west-1')).toBe(`acme-logs-${ACCOUNT}-eu-west-1`);
    expect(p.targetObjectKeyFormat).toEqual({ simplePrefix: {} });
  });
});

describe('bucket-logging names and exclusions', () => {
  const here = { account: ACCOUNT, region: 'us-east-1' };

  it('the log bucket is the template filled for this account and region, exactly', () => {
    const p = policy();
    expect(isLogBucketName(LOG_BUCKET, p, ACCOUNT, 'us-east-1')).toBe(true);
    // Another region's log bucket, a region that does not exist, another account, a longer name.
    for (const lookAlike of [
      `s3-access-logs-${ACCOUNT}-ap-southeast-2`,
      `s3-access-logs-${ACCOUNT}-zz-evil-1`,
      's3-access-logs-999999999999-us-east-1',
      `${LOG_BUCKET}-copy`,
      's3-access-logsX123456789012-us-east-1',
      LOG_BUCKET.toUpperCase(),
      '',
    ]) {
      expect(isLogBucketName(lookAlike, p, ACCOUNT, 'us-east-1'), lookAlike).toBe(false);
    }
  });

  it('a bucket is left alone as the log bucket only when it is in the region its name says', () => {
    const p = policy();
    expect(logBucketExclusion(LOG_BUCKET, 'us-east-1', p, here)).toBe(
      `bucket ${LOG_BUCKET} is the log bucket of us-east-1; log buckets are never given access logging (a logging loop)`,
    );
    // Named like us-east-1's log bucket, located elsewhere: not a log bucket.
    expect(logBucketExclusion(LOG_BUCKET, 'eu-west-1', p, here)).toBeNull();
    // Named like eu-west-1's log bucket, located here: not a log bucket either.
    expect(logBucketExclusion(`s3-access-logs-${ACCOUNT}-eu-west-1`, 'us-east-1', p, here)).toBeNull();
    expect(logBucketExclusion(`s3-access-logs-${ACCOUNT}-zz-evil-1`, 'us-east-1', p, here)).toBeNull();
  });

  it('excludes directory buckets and excludeBuckets names filled for the account and region; governs the rest', () => {
    const p = policy({ excludeBuckets: ['cdk-hnb659fds-assets-{account}-{region}', 'exact-name'] });
    const cdk = `cdk-hnb659fds-assets-${ACCOUNT}-us-east-1`;
    expect(exclusionOf('fast--use1-az4--x-s3', p, ACCOUNT, 'us-east-1')).toContain('directory bucket');
    expect(exclusionOf(cdk, p, ACCOUNT, 'us-east-1')).toBe(
      `bucket ${cdk} is excluded by the policy (excludeBuckets: "cdk-hnb659fds-assets-{account}-{region}")`,
    );
    expect(exclusionOf('exact-name', p, ACCOUNT, 'us-east-1')).toContain('"exact-name"');
    // Log buckets are not decided by name alone.
    expect(exclusionOf(LOG_BUCKET, p, ACCOUNT, 'us-east-1')).toBeNull();
    for (const governed of [
      'exact-name-2',
      'app-data',
      // The same template for another account or another region, or with anything around it.
      'cdk-hnb659fds-assets-999999999999-us-east-1',
      `cdk-hnb659fds-assets-${ACCOUNT}-eu-west-1`,
      `${cdk}-data`,
      `x${cdk}`,
      'cdk-hnb659fds-assets-{account}-{region}',
    ]) {
      expect(exclusionOf(governed, p, ACCOUNT, 'us-east-1'), governed).toBeNull();
    }
    expect(excludedBy(`cdk-hnb659fds-assets-${ACCOUNT}-eu-west-1`, p, ACCOUNT, 'eu-west-1')).toBe(
      'cdk-hnb659fds-assets-{account}-{region}',
    );
  });

  it('excludeBuckets entries: exact names and {account}/{region} pass; wildcards and junk are refused with the reason', () => {
    for (const ok of ['exact-name', 'Legacy_Bucket.1', 'cdk-hnb659fds-assets-{account}-{region}', 'logs-{account}']) {
      expect(excludeEntryProblem(ok), ok).toBeNull();
    }
    for (const wildcard of ['*', 'cdk-*', 'cdk-*-assets-*', 'cdk-assets-{account}-*', '*-{account}-{region}']) {
      expect(excludeEntryProblem(wildcard), wildcard).toContain(
        'has a wildcard (*): anyone who can create a bucket in a governed account could name a data bucket to match it and escape access logging',
      );
    }
    expect(excludeEntryProblem('{prefix}-x')).toContain('unknown placeholder(s) {prefix}');
    expect(excludeEntryProblem('{account')).toContain('is not a bucket name');
    expect(excludeEntryProblem('a b')).toContain('is not a bucket name');
    expect(excludeEntryProblem('ab')).toContain('is not a bucket name');
  });

  it('a policy document with an unanchored pattern is refused at start-up, naming the field', () => {
    const doc = policyWith({ 'bucket-logging': { logBucket: { prefix: 'logs' }, excludeBuckets: ['cdk-*'] } });
    expect(() => parsePolicy(doc, [bucketLogging])).toThrow(
      /guardrails\.bucket-logging\.excludeBuckets\[0\]: excludeBuckets entry "cdk-\*" has a wildcard/,
    );
  });

  it('LocationConstraint: absent or empty is us-east-1, EU is eu-west-1, junk is unreadable', () => {
    expect(regionOfLocation(undefined)).toBe('us-east-1');
    expect(regionOfLocation('')).toBe('us-east-1');
    expect(regionOfLocation(null)).toBe('us-east-1');
    expect(regionOfLocation('EU')).toBe('eu-west-1');
    expect(regionOfLocation(['ap-south-1'])).toBe('ap-south-1');
    expect(regionOfLocation('eu-central-1')).toBe('eu-central-1');
    expect(regionOfLocation({ nested: true })).toBeNull();
    expect(regionOfLocation('not a region')).toBeNull();
  });
});

describe('bucket-logging events → refs', () => {
  const p = policy({ excludeBuckets: ['scratch-{region}'] });
  const ref = (name: string, region = 'us-east-1') => ({ refs: [bucketRef(name, ACCOUNT, region, 'event')] });

  it('CreateBucket in us-east-1 has no CreateBucketConfiguration', () => {
    expect(refsFromEvent(detail('CreateBucket', createBucketRequest('new-one', 'us-east-1')), p, scope)).toEqual(ref('new-one'));
  });

  it('CreateBucket elsewhere takes its region from LocationConstraint, not from assumptions', () => {
    const eu = { account: ACCOUNT, region: 'eu-west-1' };
    expect(refsFromEvent(detail('CreateBucket', createBucketRequest('eu-one', 'eu-west-1')), p, eu)).toEqual(
      ref('eu-one', 'eu-west-1'),
    );
    expect(refsFromEvent(detail('CreateBucket', createBucketRequest('eu-one', 'eu-west-1')), p, scope)).toEqual({
      ignore: 'bucket eu-one was created in eu-west-1; only the eu-west-1 controller changes it (its sweep covers it)',
      resource: { id: 'eu-one', arn: 'arn:aws:s3:::eu-one' },
    });
    const legacy = { bucketName: 'old-eu', host: ['s3.amazonaws.com'], CreateBucketConfiguration: { LocationConstraint: 'EU' } };
    expect(refsFromEvent(detail('CreateBucket', legacy), p, eu)).toEqual(ref('old-eu', 'eu-west-1'));
    const junk = { bucketName: 'x-bucket', CreateBucketConfiguration: { LocationConstraint: 42 } };
    expect(refsFromEvent(detail('CreateBucket', junk), p, scope)).toMatchObject({
      ignore: 'CreateBucket event for x-bucket with an unreadable LocationConstraint',
    });
  });

  it('PutBucketLogging: disabling, a changed target, and the older record format all name the bucket', () => {
    for (const params of [
      putBucketLoggingRequest('app', 'us-east-1', null),
      putBucketLoggingRequest('app', 'us-east-1', { bucket: 'elsewhere', prefix: '' }),
      putBucketLoggingRequest('app', 'us-east-1', null, { legacy: true }),
      { ...putBucketLoggingRequest('app', 'us-east-1', null, { legacy: true }), bucketName: ['app'] },
    ]) {
      expect(refsFromEvent(detail('PutBucketLogging', params), p, scope)).toEqual(ref('app'));
    }
    // The disabling request really holds nothing but xmlns.
    expect(putBucketLoggingRequest('app', 'us-east-1', null).BucketLoggingStatus).toEqual({
      xmlns: 'http://s3.amazonaws.com/doc/2006-03-01/',
    });
  });

  it('a malformed BucketLoggingStatus still leads to a re-read of the bucket (the payload is never trusted)', () => {
    for (const status of ['garbage', null, [], { LoggingEnabled: 'x' }]) {
      expect(refsFromEvent(detail('PutBucketLogging', { bucketName: 'app', BucketLoggingStatus: status }), p, scope)).toEqual(
        ref('app'),
      );
    }
  });

  it('events that name no usable bucket are ignored with the reason', () => {
    expect(refsFromEvent(detail('PutBucketLogging', null), p, scope)).toEqual({
      ignore: 'PutBucketLogging event without requestParameters; cannot tell which bucket',
    });
    expect(refsFromEvent(detail('PutBucketLogging', { bucketName: 7 }), p, scope)).toEqual({
      ignore: 'PutBucketLogging event without a string requestParameters.bucketName',
    });
    expect(refsFromEvent(detail('PutBucketLogging', { bucketName: ['a', 'b'] }), p, scope)).toMatchObject({
      ignore: expect.stringContaining('without a string'),
    });
    expect(refsFromEvent(detail('PutBucketLogging', { bucketName: 'no/slashes' }), p, scope)).toMatchObject({
      ignore: '"no/slashes" is not an S3 bucket name',
    });
    expect(refsFromEvent(detail('PutBucketLogging', { bucketName: 'x'.repeat(5000) }), p, scope)).toMatchObject({
      ignore: expect.stringContaining('is not an S3 bucket name'),
    });
  });

  it('excluded buckets are ignored before any call; a name like the log bucket is located first (no name alone decides)', () => {
    const q = policy({ excludeBuckets: ['scratch-1'] });
    expect(refsFromEvent(detail('CreateBucket', { bucketName: 'scratch-1' }), q, scope)).toMatchObject({
      ignore: 'bucket scratch-1 is excluded by the policy (excludeBuckets: "scratch-1")',
    });
    expect(refsFromEvent(detail('PutBucketLogging', { bucketName: LOG_BUCKET }), q, scope)).toEqual(ref(LOG_BUCKET));
    const evil = `s3-access-logs-${ACCOUNT}-zz-evil-1`;
    expect(refsFromEvent(detail('CreateBucket', { bucketName: evil }), q, scope)).toEqual(ref(evil));
  });

  it('a Config resource id is a bucket name in the event region', () => {
    expect(bucketLogging.refFromResourceId('app', { ...scope, policy: p } as never)).toEqual(ref('app'));
  });
});

describe('bucket-logging diff and plan', () => {
  const p = policy();
  const ref = bucketRef('app', ACCOUNT, 'us-east-1', 'event');
  const d = desiredLogging(ref, p);
  const bucket = (logging: Extract<BucketState, { kind: 'bucket' }>['logging']): BucketState => ({
    kind: 'bucket',
    region: 'us-east-1',
    logging,
    logBucket: null,
  });
  const partitioned = { partitionedPrefix: { partitionDateSource: 'EventTime' as const } };

  it('delivery: a compliant configuration whose log bucket S3 cannot deliver to is logDelivery drift, report-only, no write', () => {
    const logging = { targetBucket: LOG_BUCKET, targetPrefix: 'app/', targetObjectKeyFormat: partitioned, targetGrants: [] };
    const problem = `log bucket ${LOG_BUCKET} does not exist`;
    const state: BucketState = {
      ...(bucket(logging) as Extract<BucketState, { kind: 'bucket' }>),
      logBucket: { ok: false, code: 'LogBucketMissing', problem },
    };
    const drift = diffLogging(state, d);
    expect(drift).toEqual([
      {
        property: 'logDelivery',
        observed: { code: 'LogBucketMissing', problem },
        desired: `logging.s3.amazonaws.com may write s3://${LOG_BUCKET}/app/`,
      },
    ]);
    expect(bucketDeliveryProblem(drift, d)).toContain(problem);
    expect(bucketDeliveryProblem(drift, d)).toContain('runbooks/bucket-logging.md#delivery');
    expect(diffLogging({ ...state, logBucket: { ok: true } }, d)).toEqual([]);
  });

  it('delivery: with configuration drift only that drift is reported and fixed (the write checks the log bucket first)', () => {
    const logging = { targetBucket: LOG_BUCKET, targetPrefix: 'other/', targetObjectKeyFormat: partitioned, targetGrants: [] };
    const state: BucketState = {
      ...(bucket(logging) as Extract<BucketState, { kind: 'bucket' }>),
      logBucket: { ok: false, code: 'LogBucketNotPermitted', problem: 'denied' },
    };
    const drift = diffLogging(state, d);
    expect(drift.map((x) => x.property)).toEqual(['targetPrefix']);
    expect(bucketDeliveryProblem(drift, d)).toBeNull();
  });

  it('desired: the region log bucket, {bucket}/ and the policy key format', () => {
    expect(d).toEqual({ targetBucket: LOG_BUCKET, targetPrefix: 'app/', targetObjectKeyFormat: partitioned });
  });

  it('compliant logging has no drift and no plan', () => {
    const state = bucket({
      targetBucket: LOG_BUCKET,
      targetPrefix: 'app/',
      targetObjectKeyFormat: partitioned,
      targetGrants: [],
    });
    expect(diffLogging(state, d)).toEqual([]);
    expect(planLogging(state, d, [])).toEqual([]);
  });

  it('logging off is one drift and one PutBucketLogging with the whole configuration', () => {
    const drift = diffLogging(bucket(null), d);
    expect(drift).toEqual([{ property: 'loggingEnabled', observed: false, desired: true }]);
    expect(planLogging(bucket(null), d, drift)).toEqual([
      {
        api: 's3:PutBucketLogging',
        description: `log to s3://${LOG_BUCKET}/app/`,
        loggingEnabled: {
          TargetBucket: LOG_BUCKET,
          TargetPrefix: 'app/',
          TargetObjectKeyFormat: { PartitionedPrefix: { PartitionDateSource: 'EventTime' } },
        },
      },
    ]);
  });

  it('a changed target, prefix or key format is drift; grants the policy does not govern are kept', () => {
    const grants = [{ Grantee: { Type: 'Group', URI: LOG_DELIVERY_GROUP }, Permission: 'READ' }];
    const state = bucket({ targetBucket: 'evil', targetPrefix: '', targetObjectKeyFormat: null, targetGrants: grants });
    const drift = diffLogging(state, d);
    expect(drift).toEqual([
      { property: 'targetBucket', observed: 'evil', desired: LOG_BUCKET },
      { property: 'targetPrefix', observed: '', desired: 'app/' },
      { property: 'targetObjectKeyFormat', observed: { simplePrefix: {} }, desired: partitioned },
    ]);
    expect(planLogging(state, d, drift)[0]?.loggingEnabled.TargetGrants).toEqual(grants);
  });

  it('no reported key format equals the simple format; a partitioned one without a source dates by delivery time', () => {
    const simple = desiredLogging(ref, policy({ targetObjectKeyFormat: { simplePrefix: {} } }));
    expect(
      diffLogging(
        bucket({ targetBucket: LOG_BUCKET, targetPrefix: 'app/', targetObjectKeyFormat: null, targetGrants: [] }),
        simple,
      ),
    ).toEqual([]);
    const delivery = diffLogging(
      bucket({
        targetBucket: LOG_BUCKET,
        targetPrefix: 'app/',
        targetObjectKeyFormat: { partitionedPrefix: {} } as never,
        targetGrants: [],
      }),
      d,
    );
    expect(delivery).toEqual([
      {
        property: 'targetObjectKeyFormat',
        observed: { partitionedPrefix: { partitionDateSource: 'DeliveryTime' } },
        desired: partitioned,
      },
    ]);
  });

  it('buckets not read (excluded, gone, in another region) have no drift and no plan', () => {
    for (const state of [
      { kind: 'excluded', reason: 'x' },
      { kind: 'missing' },
      { kind: 'elsewhere', region: 'eu-west-1' },
    ] as BucketState[]) {
      expect(diffLogging(state, d)).toEqual([]);
      expect(planLogging(state, d, [{ property: 'x', observed: 1, desired: 2 }])).toEqual([]);
    }
  });

  it('skipReason: excluded, deleted, and other-region buckets are left alone; a local bucket is not', () => {
    const skip = (state: BucketState) => bucketLogging.skipReason?.(ref, state, scope) ?? null;
    expect(skip({ kind: 'excluded', reason: 'because' })).toBe('because');
    expect(skip({ kind: 'missing' })).toContain('NoSuchBucket');
    expect(skip({ kind: 'elsewhere', region: 'eu-west-1' })).toBe(
      'bucket app is in eu-west-1; only the eu-west-1 controller changes it',
    );
    expect(skip({ kind: 'bucket', region: 'eu-west-1', logging: null, logBucket: null })).toContain(
      'only the eu-west-1 controller',
    );
    expect(skip(bucket(null))).toBeNull();
  });

  it('observing a bucket reads no tags: they are read only on drift (readTags), for the unapproved-request note', () => {
    expect(bucketLogging.tagsOf({ kind: 'bucket', region: 'us-east-1', logging: null, logBucket: null })).toEqual({});
    expect(bucketLogging.readTags).toBeTypeOf('function');
  });
});

describe('log bucket permission checks', () => {
  const target = { bucket: LOG_BUCKET, prefix: 'app/' };
  const source = { account: ACCOUNT, bucket: 'app' };
  const doc = (...Statement: unknown[]) => JSON.stringify({ Version: '2012-10-17', Statement });
  const allow = {
    Effect: 'Allow',
    Principal: { Service: 'logging.s3.amazonaws.com' },
    Action: 's3:PutObject',
    Resource: `arn:aws:s3:::${LOG_BUCKET}/*`,
  };

  it('the AWS-documented statement allows delivery', () => {
    expect(policyAllowsLogDelivery(doc(allow), target, source)).toBe(true);
    expect(
      policyAllowsLogDelivery(
        doc({
          ...allow,
          Principal: { Service: ['logging.s3.amazonaws.com'] },
          Action: ['s3:Put*'],
          Resource: [`arn:aws:s3:::${LOG_BUCKET}/app/*`],
          Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:s3:::*' }, StringEquals: { 'aws:SourceAccount': ACCOUNT } },
        }),
        target,
        source,
      ),
    ).toBe(true);
  });

  it('other principals, actions, prefixes, accounts or buckets do not', () => {
    expect(policyAllowsLogDelivery(doc({ ...allow, Principal: { Service: 'cloudtrail.amazonaws.com' } }), target, source)).toBe(
      false,
    );
    expect(policyAllowsLogDelivery(doc({ ...allow, Action: 's3:GetObject' }), target, source)).toBe(false);
    expect(policyAllowsLogDelivery(doc({ ...allow, Resource: `arn:aws:s3:::${LOG_BUCKET}/other/*` }), target, source)).toBe(
      false,
    );
    expect(
      policyAllowsLogDelivery(
        doc({ ...allow, Condition: { StringEquals: { 'aws:SourceAccount': '999999999999' } } }),
        target,
        source,
      ),
    ).toBe(false);
    expect(
      policyAllowsLogDelivery(
        doc({ ...allow, Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:s3:::other-*' } } }),
        target,
        source,
      ),
    ).toBe(false);
  });

  it('an explicit Deny wins; unreadable policies allow nothing', () => {
    expect(policyAllowsLogDelivery(doc(allow, { ...allow, Effect: 'Deny', Principal: '*' }), target, source)).toBe(false);
    expect(policyAllowsLogDelivery('{not json', target, source)).toBe(false);
    expect(policyAllowsLogDelivery('null', target, source)).toBe(false);
    expect(policyAllowsLogDelivery(JSON.stringify({ Statement: allow }), target, source)).toBe(true);
  });

  it('the legacy ACL needs WRITE and READ_ACP (or FULL_CONTROL) for the Log Delivery group', () => {
    const g = (Permission: string, URI = LOG_DELIVERY_GROUP) => ({ Grantee: { Type: 'Group', URI }, Permission });
    expect(aclAllowsLogDelivery([g('WRITE'), g('READ_ACP')])).toBe(true);
    expect(aclAllowsLogDelivery([g('FULL_CONTROL')])).toBe(true);
    expect(aclAllowsLogDelivery([g('WRITE')])).toBe(false);
    expect(aclAllowsLogDelivery([g('WRITE', 'http://acs.amazonaws.com/groups/global/AllUsers'), g('READ_ACP')])).toBe(false);
    expect(aclAllowsLogDelivery([])).toBe(false);
  });
});
