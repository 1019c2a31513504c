import { createServer, type Server } from 'node:http';
import {
  GetBucketAclCommand,
  GetBucketLocationCommand,
  GetBucketLoggingCommand,
  GetBucketPolicyCommand,
  GetBucketTaggingCommand,
  ListBucketsCommand,
  PutBucketLoggingCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sweepEvent } from '../../cli/events.js';
import { listBucketRefs, s3In } from '../../controllers/bucket-logging/aws.js';
import { bucketLogging } from '../../controllers/bucket-logging/index.js';
import { type BucketLoggingPolicy, bucketLoggingPolicySchema } from '../../controllers/bucket-logging/policy.js';
import { AwsClients } from '../../controllers/core/aws.js';
import { Controller } from '../../controllers/core/controller.js';
import { createLogger } from '../../controllers/core/log.js';
import { parsePolicy } from '../../controllers/core/policy.js';
import type { Scope } from '../../controllers/core/types.js';
import { bucketEvent, putBucketLoggingRequest } from '../helpers/bucket-logging.js';
import { ACCOUNT, REGION } from '../helpers/emulator.js';
import { policyWith } from '../helpers/policy.js';

const LOG_BUCKET = `s3-access-logs-${ACCOUNT}-${REGION}`;
const PARTITIONED = { PartitionedPrefix: { PartitionDateSource: 'EventTime' as const } };
const deliveryPolicy = JSON.stringify({
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Service: 'logging.s3.amazonaws.com' },
      Action: 's3:PutObject',
      Resource: `arn:aws:s3:::${LOG_BUCKET}/*`,
    },
  ],
});
const awsError = (name: string, message: string, status = 403) =>
  Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });

/** The production default: partitioned by event time (moto cannot report it back, so it is tested here). */
const section = (extra: Record<string, unknown> = {}) => ({ logBucket: { prefix: 's3-access-logs' }, ...extra });

const controller = (extra: Record<string, unknown> = {}) =>
  new Controller({
    guardrails: [bucketLogging],
    policy: parsePolicy(policyWith({ 'bucket-logging': section(extra) }), [bucketLogging]),
    account: ACCOUNT,
    clients: new AwsClients({ credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 }),
    logger: createLogger('test'),
  });

const disabledEvent = (bucket = 'app') => bucketEvent('PutBucketLogging', putBucketLoggingRequest(bucket, REGION, null));

describe('bucket-logging paths the emulator does not model (aws-sdk-client-mock)', () => {
  const s3 = mockClient(S3Client);
  afterAll(() => s3.restore());

  beforeEach(() => {
    s3.reset();
    s3.on(GetBucketLocationCommand).resolves({});
    s3.on(GetBucketTaggingCommand).rejects(awsError('NoSuchTagSet', 'The TagSet does not exist', 404));
    s3.on(GetBucketPolicyCommand).resolves({ Policy: deliveryPolicy });
  });

  it('the partitioned key format (by event time) is written and verified', async () => {
    s3.on(GetBucketLoggingCommand)
      .resolvesOnce({})
      .resolves({ LoggingEnabled: { TargetBucket: LOG_BUCKET, TargetPrefix: 'app/', TargetObjectKeyFormat: PARTITIONED } });
    s3.on(PutBucketLoggingCommand).resolves({});

    const [r] = await controller().handleEvent(disabledEvent());

    expect(r).toMatchObject({ outcome: 'remediated', verified: true });
    expect(s3.commandCalls(PutBucketLoggingCommand)[0]?.args[0].input).toEqual({
      Bucket: 'app',
      BucketLoggingStatus: {
        LoggingEnabled: { TargetBucket: LOG_BUCKET, TargetPrefix: 'app/', TargetObjectKeyFormat: PARTITIONED },
      },
    });
  });

  it('a key format changed to the simple one is drift and is put back', async () => {
    s3.on(GetBucketLoggingCommand)
      .resolvesOnce({
        LoggingEnabled: { TargetBucket: LOG_BUCKET, TargetPrefix: 'app/', TargetObjectKeyFormat: { SimplePrefix: {} } },
      })
      .resolves({ LoggingEnabled: { TargetBucket: LOG_BUCKET, TargetPrefix: 'app/', TargetObjectKeyFormat: PARTITIONED } });
    s3.on(PutBucketLoggingCommand).resolves({});
    const [r] = await controller().handleEvent(disabledEvent());
    expect(r).toMatchObject({
      outcome: 'remediated',
      drift: [
        {
          property: 'targetObjectKeyFormat',
          observed: { simplePrefix: {} },
          desired: { partitionedPrefix: { partitionDateSource: 'EventTime' } },
        },
      ],
    });
  });

  it('reads denied by a bucket policy or an SCP → failed, terminal, saying so', async () => {
    s3.on(GetBucketLoggingCommand).rejects(awsError('AccessDenied', 'Access Denied'));
    const [r] = await controller().handleEvent(disabledEvent());
    expect(r).toMatchObject({ outcome: 'failed', retryable: false, actions: [] });
    expect(r?.reason).toBe(
      "AccessDenied: s3:GetBucketLogging on bucket app was denied (a bucket policy or an SCP denies logwarden's role; retrying will not help): Access Denied; see runbooks/bucket-logging.md",
    );
  });

  it('PutBucketLogging denied → failed with the failed action, terminal', async () => {
    s3.on(GetBucketLoggingCommand).resolves({});
    s3.on(PutBucketLoggingCommand).rejects(awsError('AccessDenied', 'explicit deny in a service control policy'));
    const [r] = await controller().handleEvent(disabledEvent());
    expect(r).toMatchObject({ outcome: 'failed', retryable: false });
    expect(r?.actions).toEqual([
      {
        api: 's3:PutBucketLogging',
        ok: false,
        error: expect.stringContaining('AccessDenied: s3:PutBucketLogging on bucket app was denied'),
      },
    ]);
  });

  it('a bucket deleted between the read and the write → failed, terminal, clear', async () => {
    s3.on(GetBucketLoggingCommand).resolves({});
    s3.on(PutBucketLoggingCommand).rejects(awsError('NoSuchBucket', 'The specified bucket does not exist', 404));
    const [r] = await controller().handleEvent(disabledEvent());
    expect(r).toMatchObject({
      outcome: 'failed',
      retryable: false,
      reason: 's3:PutBucketLogging failed: NoSuchBucket: bucket app was deleted before its logging could be restored',
    });
  });

  it('S3 refusing the target (InvalidTargetBucketForLogging) → failed naming the log bucket and the runbook', async () => {
    s3.on(GetBucketLoggingCommand).resolves({});
    s3.on(PutBucketLoggingCommand).rejects(
      awsError('InvalidTargetBucketForLogging', 'You must either provide the necessary permissions', 400),
    );
    const [r] = await controller().handleEvent(disabledEvent());
    expect(r?.outcome).toBe('failed');
    expect(r?.reason).toContain(`LogBucketNotPermitted: S3 refused log bucket ${LOG_BUCKET}: InvalidTargetBucketForLogging`);
    expect(r?.reason).toContain('runbooks/bucket-logging.md');
  });

  it('a log bucket in another region → failed before any write (CrossLocationLoggingProhibited avoided)', async () => {
    s3.on(GetBucketLoggingCommand).resolves({});
    s3.on(GetBucketLocationCommand, { Bucket: LOG_BUCKET }).resolves({ LocationConstraint: 'eu-west-1' });
    const [r] = await controller().handleEvent(disabledEvent());
    expect(r?.reason).toContain(`LogBucketWrongRegion: log bucket ${LOG_BUCKET} is in eu-west-1, not in us-east-1`);
    expect(s3.commandCalls(PutBucketLoggingCommand)).toHaveLength(0);
  });

  it('the legacy Log Delivery ACL is accepted when the bucket policy does not allow delivery', async () => {
    s3.on(GetBucketPolicyCommand).rejects(awsError('NoSuchBucketPolicy', 'The bucket policy does not exist', 404));
    s3.on(GetBucketAclCommand).resolves({
      Grants: [
        { Grantee: { Type: 'Group', URI: 'http://acs.amazonaws.com/groups/s3/LogDelivery' }, Permission: 'WRITE' },
        { Grantee: { Type: 'Group', URI: 'http://acs.amazonaws.com/groups/s3/LogDelivery' }, Permission: 'READ_ACP' },
      ],
    });
    s3.on(GetBucketLoggingCommand)
      .resolvesOnce({})
      .resolves({ LoggingEnabled: { TargetBucket: LOG_BUCKET, TargetPrefix: 'app/', TargetObjectKeyFormat: PARTITIONED } });
    s3.on(PutBucketLoggingCommand).resolves({});
    const [r] = await controller().handleEvent(disabledEvent());
    expect(r?.outcome).toBe('remediated');
  });

  it('a sweep reads the log bucket once for many remediations', async () => {
    s3.on(ListBucketsCommand).resolves({ Buckets: [{ Name: 'a' }, { Name: 'b' }, { Name: 'c' }] });
    s3.on(GetBucketLoggingCommand).resolves({});
    s3.on(PutBucketLoggingCommand).resolves({});
    const records = await controller().handleEvent(sweepEvent({ account: ACCOUNT, region: REGION, guardrail: 'bucket-logging' }));
    // Verification fails (the mock never changes), but every bucket got its write after one log bucket check.
    expect(records.map((r) => r.actions.map((a) => a.api))).toEqual([
      ['s3:PutBucketLogging'],
      ['s3:PutBucketLogging'],
      ['s3:PutBucketLogging'],
    ]);
    expect(s3.commandCalls(GetBucketPolicyCommand)).toHaveLength(1);
    expect(s3.commandCalls(GetBucketLocationCommand).map((c) => c.args[0].input.Bucket)).toEqual([LOG_BUCKET]);
  });

  // #17: a listing that gives no region (the emulator always gives one) and a denied location read.
  it('a bucket named like the log bucket is located even when listed: elsewhere → not ours; unreadable → failed, never skipped', async () => {
    const sweep = sweepEvent({ account: ACCOUNT, region: REGION, guardrail: 'bucket-logging' });
    s3.on(ListBucketsCommand).resolves({ Buckets: [{ Name: LOG_BUCKET }] });
    s3.on(GetBucketLocationCommand).resolves({ LocationConstraint: 'EU' });
    const [elsewhere] = await controller().handleEvent(sweep);
    expect(elsewhere).toMatchObject({
      outcome: 'ignored',
      reason: `bucket ${LOG_BUCKET} is in eu-west-1; only the eu-west-1 controller changes it`,
    });
    expect(s3.commandCalls(GetBucketLoggingCommand)).toHaveLength(0);

    s3.on(GetBucketLocationCommand).rejects(awsError('AccessDenied', 'Access Denied'));
    const [denied] = await controller().handleEvent(sweep);
    expect(denied).toMatchObject({ outcome: 'failed', retryable: false, resource: { id: LOG_BUCKET } });
    expect(denied?.reason).toContain(`s3:GetBucketLocation on bucket ${LOG_BUCKET} was denied`);

    s3.on(GetBucketLocationCommand).resolves({ LocationConstraint: null as never });
    const [logBucket] = await controller().handleEvent(sweep);
    expect(logBucket).toMatchObject({ outcome: 'ignored', reason: expect.stringContaining('is the log bucket of us-east-1') });
  });

  // The emulator enforces no bucket policy on log delivery: a Deny for logging.s3.amazonaws.com is only seen here.
  const compliantLogging = {
    LoggingEnabled: { TargetBucket: LOG_BUCKET, TargetPrefix: 'app/', TargetObjectKeyFormat: PARTITIONED },
  };
  const denyLogging = JSON.stringify({
    Statement: [
      JSON.parse(deliveryPolicy).Statement[0],
      {
        Effect: 'Deny',
        Principal: { Service: 'logging.s3.amazonaws.com' },
        Action: 's3:PutObject',
        Resource: `arn:aws:s3:::${LOG_BUCKET}/*`,
      },
    ],
  });

  it('delivery: a Deny for logging.s3.amazonaws.com on the log bucket → failed on an event, no write', async () => {
    s3.on(GetBucketLoggingCommand).resolves(compliantLogging);
    s3.on(GetBucketPolicyCommand).resolves({ Policy: denyLogging });
    s3.on(GetBucketAclCommand).resolves({ Grants: [] });
    const [r] = await controller().handleEvent(
      bucketEvent('PutBucketLogging', putBucketLoggingRequest('app', REGION, { bucket: LOG_BUCKET, prefix: 'app/' })),
    );
    expect(r).toMatchObject({ outcome: 'failed', retryable: false, actions: [] });
    expect(r?.drift).toEqual([
      expect.objectContaining({ property: 'logDelivery', observed: expect.objectContaining({ code: 'LogBucketNotPermitted' }) }),
    ]);
    expect(r?.reason).toContain('or one denies it');
    expect(s3.commandCalls(PutBucketLoggingCommand)).toHaveLength(0);
  });

  it('delivery: a sweep reads the log bucket once for every bucket; a missing log bucket is reported for each', async () => {
    s3.on(ListBucketsCommand).resolves({ Buckets: [{ Name: 'a' }, { Name: 'b' }, { Name: 'c' }] });
    s3.on(GetBucketLoggingCommand).callsFake((input: { Bucket: string }) => ({
      LoggingEnabled: { TargetBucket: LOG_BUCKET, TargetPrefix: `${input.Bucket}/`, TargetObjectKeyFormat: PARTITIONED },
    }));
    const fine = await controller().handleEvent(sweepEvent({ account: ACCOUNT, region: REGION, guardrail: 'bucket-logging' }));
    expect(fine.map((r) => r.outcome)).toEqual(['compliant', 'compliant', 'compliant']);
    expect(s3.commandCalls(GetBucketPolicyCommand)).toHaveLength(1);
    expect(s3.commandCalls(GetBucketLocationCommand)).toHaveLength(1);

    s3.on(GetBucketLocationCommand, { Bucket: LOG_BUCKET }).rejects(
      awsError('NoSuchBucket', 'The specified bucket does not exist', 404),
    );
    const gone = await controller().handleEvent(sweepEvent({ account: ACCOUNT, region: REGION, guardrail: 'bucket-logging' }));
    expect(gone.map((r) => [r.resource.id, r.outcome, r.drift[0]?.property])).toEqual([
      ['a', 'failed', 'logDelivery'],
      ['b', 'failed', 'logDelivery'],
      ['c', 'failed', 'logDelivery'],
    ]);
    expect(gone[0]?.reason).toContain(`log bucket ${LOG_BUCKET} does not exist`);
  });

  const scopeWith = (pageSize: number): Scope<BucketLoggingPolicy> => ({
    account: ACCOUNT,
    region: REGION,
    policy: bucketLoggingPolicySchema.parse(section({ sweep: { pageSize } })),
    clients: new AwsClients({ credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 }),
    logger: createLogger('test'),
    now: () => new Date(),
    memo: new Map(),
    runId: 'test-run',
  });
  /** ListBuckets answering from `pages` in order, keeping a copy of each request (the input object is reused). */
  const listing = (pages: object[]) => {
    const requests: unknown[] = [];
    s3.on(ListBucketsCommand).callsFake((input) => {
      requests.push({ ...input });
      return pages[requests.length - 1];
    });
    return requests;
  };
  const named = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ Name: `b${from + i}` }));

  it('the sweep pages through ListBuckets with the region filter and page size', async () => {
    const requests = listing([
      {
        Buckets: [{ Name: 'a', BucketRegion: REGION }, { Name: 'b' }, { Name: 'stray', BucketRegion: 'eu-west-1' }],
        ContinuationToken: 'page-2',
      },
      { Buckets: [{ Name: 'c' }, { Name: 'a' }] },
    ]);
    const { refs, incomplete } = await listBucketRefs(scopeWith(3));
    expect(refs.map((r) => [r.id, r.region, r.regionSource])).toEqual([
      ['a', REGION, 'listing'],
      ['b', REGION, 'listing'],
      ['c', REGION, 'listing'],
    ]);
    expect(incomplete).toBeUndefined();
    // The last page is not full: no probe.
    expect(requests).toEqual([
      { BucketRegion: REGION, MaxBuckets: 3 },
      { BucketRegion: REGION, MaxBuckets: 3, ContinuationToken: 'page-2' },
    ]);
  });

  it('a full last page without a token is probed once at 10,000: exactly a page (AWS) or a cut listing (the emulator)', async () => {
    // AWS: the account has exactly 1,000 buckets; the probe finds nothing more.
    let requests = listing([{ Buckets: named(1000) }, { Buckets: named(1000) }]);
    let out = await listBucketRefs(scopeWith(1000));
    expect([out.refs.length, out.incomplete, requests.length]).toEqual([1000, undefined, 2]);
    expect(requests[1]).toEqual({ BucketRegion: REGION, MaxBuckets: 10_000 });
    // A service that cut the listing at MaxBuckets without a token: the probe lists the rest.
    requests = listing([{ Buckets: named(1000) }, { Buckets: named(1500) }]);
    out = await listBucketRefs(scopeWith(1000));
    expect([out.refs.length, out.incomplete]).toEqual([1500, undefined]);
  });

  it('even the 10,000 probe full without a token → the sweep lists what it got and ends with a failed record saying so', async () => {
    listing([{ Buckets: named(1000) }, { Buckets: named(10_000) }]);
    s3.on(GetBucketLoggingCommand).resolves({
      LoggingEnabled: { TargetBucket: LOG_BUCKET, TargetPrefix: 'x/', TargetObjectKeyFormat: PARTITIONED },
    });
    const records = await controller().handleEvent(sweepEvent({ account: ACCOUNT, region: REGION, guardrail: 'bucket-logging' }));
    expect(records).toHaveLength(10_001);
    const last = records.at(-1);
    expect(last).toMatchObject({ outcome: 'failed', resource: { id: '*' }, retryable: false });
    expect(last?.reason).toBe(
      'sweep incomplete: ListBuckets answered a full page of 10,000 buckets without a continuation token; buckets beyond it, if any, were not listed (runbooks/bucket-logging.md)',
    );
  });
});

describe('bucket-logging S3 client: adaptive retry on SlowDown', () => {
  let server: Server;
  let endpoint: string;
  let requests = 0;
  let slowDowns = 0;

  beforeEach(async () => {
    requests = 0;
    server = createServer((_req, res) => {
      requests++;
      if (slowDowns > 0) {
        slowDowns--;
        res.writeHead(503, { 'content-type': 'application/xml' });
        res.end(
          '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>',
        );
        return;
      }
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?><BucketLoggingStatus xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LoggingEnabled><TargetBucket>${LOG_BUCKET}</TargetBucket><TargetPrefix>app/</TargetPrefix></LoggingEnabled></BucketLoggingStatus>`,
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const addr = server.address();
    endpoint = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  });
  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('uses the adaptive retry strategy unless the runtime sets a mode', async () => {
    const clients = new AwsClients({ endpoint, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    const client = s3In({ clients }, REGION);
    expect(await client.config.retryStrategy()).toHaveProperty('mode', 'adaptive');
    const standard = new AwsClients({ endpoint, credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, retryMode: 'standard' });
    expect(await s3In({ clients: standard }, REGION).config.retryStrategy()).toHaveProperty('mode', 'standard');
  });

  it('SlowDown answers are retried by the SDK and the read succeeds; the recorder counts one call', async () => {
    slowDowns = 2;
    const calls: string[] = [];
    const clients = new AwsClients({
      endpoint,
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      maxAttempts: 3,
      recorder: ({ action }) => calls.push(action),
    });
    const out = await s3In({ clients }, REGION).send(new GetBucketLoggingCommand({ Bucket: 'app' }));
    expect(out.LoggingEnabled?.TargetBucket).toBe(LOG_BUCKET);
    expect(requests).toBe(3);
    expect(calls).toEqual(['s3:GetBucketLogging']);
  });
});
