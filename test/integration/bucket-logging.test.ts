import { DeleteBucketCommand, GetBucketPolicyCommand, PutBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { summarize } from '../../cli/audit/summary.js';
import { configComplianceEvent, sweepEvent } from '../../cli/events.js';
import { s3In } from '../../controllers/bucket-logging/aws.js';
import { bucketLogging } from '../../controllers/bucket-logging/index.js';
import { publishAndSettle } from '../../controllers/core/runtime.js';
import { SWEEP_RESOURCE_TYPE, summariseSweeps } from '../../controllers/core/sweep-summary.js';
import {
  bucketEvent,
  bucketLoggingSection,
  compliantBucket,
  createAccountLogBucket,
  createBucket,
  createBucketRequest,
  createLogBucket,
  LOG_BUCKET,
  logBucketOf,
  OTHER_REGION,
  putBucketLoggingRequest,
  readLogging,
  setLogging,
  tagBucket,
} from '../helpers/bucket-logging.js';
import { ACCOUNT, REGION, useEmulator } from '../helpers/emulator.js';
import { controllerOn, type Harness, harness } from '../helpers/harness.js';
import { daysLater, exemptionOf, UNAPPROVED } from '../helpers/policy.js';

const emu = useEmulator();
const APP = 'app-data';
const RUNBOOK = 'runbooks/bucket-logging.md';

/** Log bucket in us-east-1 (the infrastructure's), a compliant bucket, and a controller with a call recorder. */
async function setup(section = bucketLoggingSection(), opts: Parameters<typeof harness>[3] = {}): Promise<Harness> {
  await createAccountLogBucket(emu.clients());
  await compliantBucket(emu.clients(), APP);
  return harness(emu, [bucketLogging], { 'bucket-logging': section }, opts);
}

const wanted = (bucket: string, region = REGION) => ({ TargetBucket: logBucketOf(region), TargetPrefix: `${bucket}/` });

describe('bucket-logging guardrail on the emulator', () => {
  it('logging disabled (BucketLoggingStatus with only xmlns) → restored, verified, one record on the bus', async () => {
    const h = await setup();
    await setLogging(emu.clients(), APP, null);
    expect(await readLogging(emu.clients(), APP)).toBeNull();

    const records = await h.deliver(bucketEvent('PutBucketLogging', putBucketLoggingRequest(APP, REGION, null)));

    expect(await readLogging(emu.clients(), APP)).toMatchObject(wanted(APP));
    const onBus = await h.audit.drain();
    expect(onBus).toHaveLength(1);
    expect(onBus[0]).toMatchObject({
      guardrail: 'bucket-logging',
      outcome: 'remediated',
      verified: true,
      account: ACCOUNT,
      region: REGION,
      resource: { type: 'AWS::S3::Bucket', id: APP, arn: `arn:aws:s3:::${APP}` },
      trigger: { type: 'cloudtrail', eventName: 'PutBucketLogging', actor: `arn:aws:iam::${ACCOUNT}:user/mallory` },
      drift: [{ property: 'loggingEnabled', observed: false, desired: true }],
      actions: [{ api: 's3:PutBucketLogging', ok: true, error: null }],
      runbook: RUNBOOK,
    });
    expect(onBus[0]?.id).toBe(records[0]?.id);
    expect(h.writes()).toEqual(['s3:PutBucketLogging']);
    // Per remediation from an event: 2 reads, the tags (read on drift only, for the unapproved-request
    // note), 2 log-bucket checks, 1 write, 1 read to verify.
    expect(h.calls.filter((c) => c !== 'events:PutEvents')).toEqual([
      's3:GetBucketLocation',
      's3:GetBucketLogging',
      's3:GetBucketTagging',
      's3:GetBucketLocation',
      's3:GetBucketPolicy',
      's3:PutBucketLogging',
      's3:GetBucketLogging',
    ]);
  });

  it('new bucket (CreateBucket in us-east-1, no CreateBucketConfiguration) → logging on', async () => {
    const h = await setup();
    await createBucket(emu.clients(), 'fresh-bucket', REGION);

    const [record] = await h.deliver(bucketEvent('CreateBucket', createBucketRequest('fresh-bucket', REGION)));

    expect(record).toMatchObject({ outcome: 'remediated', verified: true, resource: { id: 'fresh-bucket' } });
    expect(await readLogging(emu.clients(), 'fresh-bucket')).toMatchObject(wanted('fresh-bucket'));
  });

  it('new bucket in eu-west-1 (LocationConstraint) → logs to the eu-west-1 log bucket, through an eu-west-1 client', async () => {
    await createAccountLogBucket(emu.clients(), OTHER_REGION);
    const regions: string[] = [];
    const h = await harness(
      emu,
      [bucketLogging],
      { 'bucket-logging': bucketLoggingSection() },
      {
        controller: { regions: [REGION, OTHER_REGION] },
      },
    );
    await createBucket(emu.clients(), 'eu-data', OTHER_REGION);
    for (const region of [REGION, OTHER_REGION]) {
      s3In(h.runtime, region).middlewareStack.add(
        (next) => async (args) => {
          regions.push(region);
          return next(args);
        },
        { step: 'initialize' },
      );
    }

    const [record] = await h.deliver(
      bucketEvent('CreateBucket', createBucketRequest('eu-data', OTHER_REGION), { region: OTHER_REGION }),
    );

    expect(record).toMatchObject({ outcome: 'remediated', region: OTHER_REGION });
    expect(await readLogging(emu.clients(), 'eu-data', OTHER_REGION)).toMatchObject(wanted('eu-data', OTHER_REGION));
    expect(record?.actions).toEqual([{ api: 's3:PutBucketLogging', ok: true, error: null }]);
    // Every S3 call for the eu-west-1 bucket went through the eu-west-1 client.
    expect(regions.length).toBeGreaterThan(5);
    expect(new Set(regions)).toEqual(new Set([OTHER_REGION]));
  });

  it('target changed (older record format: host and logging as lists) → restored', async () => {
    const h = await setup();
    await createAccountLogBucket(emu.clients());
    // Someone points the bucket at a log bucket of their own (which S3 accepts: it allows delivery).
    await createLogBucket(emu.clients(), 'attacker-logs', ACCOUNT, REGION);
    await setLogging(emu.clients(), APP, { bucket: 'attacker-logs', prefix: 'x/' });

    const [record] = await h.deliver(
      bucketEvent(
        'PutBucketLogging',
        putBucketLoggingRequest(APP, REGION, { bucket: 'attacker-logs', prefix: 'x/' }, { legacy: true }),
      ),
    );

    expect(record).toMatchObject({
      outcome: 'remediated',
      drift: [
        { property: 'targetBucket', observed: 'attacker-logs', desired: LOG_BUCKET },
        { property: 'targetPrefix', observed: 'x/', desired: `${APP}/` },
      ],
    });
    expect(await readLogging(emu.clients(), APP)).toMatchObject(wanted(APP));
  });

  it('the log bucket itself is left alone once located in its region: one GetBucketLocation, no other call', async () => {
    const h = await setup();
    const records = await h.deliver(bucketEvent('PutBucketLogging', putBucketLoggingRequest(LOG_BUCKET, REGION, null)));
    expect(records.map((r) => [r.outcome, r.reason])).toEqual([
      [
        'ignored',
        `bucket ${LOG_BUCKET} is the log bucket of ${REGION}; log buckets are never given access logging (a logging loop)`,
      ],
    ]);
    expect(h.calls).toEqual(['s3:GetBucketLocation', 'events:PutEvents']);
    expect(await readLogging(emu.clients(), LOG_BUCKET)).toBeNull();
  });

  it("#17: look-alikes of the log bucket get logging: a non-governed region, a region that does not exist, a governed region's name created here", async () => {
    const c = emu.clients();
    const h = await setup(bucketLoggingSection(), { controller: { regions: [REGION, OTHER_REGION] } });
    const lookAlikes = [logBucketOf('ap-northeast-1'), logBucketOf('zz-evil-1'), logBucketOf(OTHER_REGION)];
    for (const bucket of lookAlikes) await createBucket(c, bucket, REGION);

    const records = await h.deliver(
      ...lookAlikes.map((bucket) => bucketEvent('CreateBucket', createBucketRequest(bucket, REGION))),
      bucketEvent('PutBucketLogging', putBucketLoggingRequest(LOG_BUCKET, REGION, null)),
    );

    expect(records.map((r) => [r.resource.id, r.outcome])).toEqual([
      ...lookAlikes.map((bucket) => [bucket, 'remediated']),
      [LOG_BUCKET, 'ignored'],
    ]);
    for (const bucket of lookAlikes) expect(await readLogging(c, bucket), bucket).toMatchObject(wanted(bucket));
    expect(await readLogging(c, LOG_BUCKET)).toBeNull();
    const onBus = (await h.audit.drain()).map((r) => `${r.resource.id} ${r.outcome}`);
    expect(onBus.sort()).toEqual(records.map((r) => `${r.resource.id} ${r.outcome}`).sort());

    // The same from the sweep: logging switched off on the look-alikes is put back; the log bucket is left alone.
    for (const bucket of lookAlikes) await setLogging(c, bucket, null);
    const swept = await h.deliver(sweepEvent({ account: ACCOUNT, region: REGION, guardrail: 'bucket-logging' }));
    const outcomes = Object.fromEntries(swept.map((r) => [r.resource.id, r.outcome]));
    expect(outcomes).toEqual({
      [LOG_BUCKET]: 'ignored',
      [APP]: 'compliant',
      ...Object.fromEntries(lookAlikes.map((bucket) => [bucket, 'remediated'])),
    });
    for (const bucket of lookAlikes) expect(await readLogging(c, bucket), bucket).toMatchObject(wanted(bucket));
    expect(await readLogging(c, LOG_BUCKET)).toBeNull();
  });

  it('#17: an anchored exclusion is ignored and named in the sweep summary and in audit --summary; near names are governed', async () => {
    const c = emu.clients();
    const h = await setup(bucketLoggingSection({ excludeBuckets: ['cdk-hnb659fds-assets-{account}-{region}'] }));
    const cdk = `cdk-hnb659fds-assets-${ACCOUNT}-${REGION}`;
    // The pattern filled for another region, or another qualifier: not excluded here.
    const governed = [`cdk-hnb659fds-assets-${ACCOUNT}-${OTHER_REGION}`, `cdk-evil-assets-${ACCOUNT}-${REGION}`];
    for (const bucket of [cdk, ...governed]) await createBucket(c, bucket);

    // As the Lambda handler publishes a sweep (controllers/core/lambda.ts): summarised.
    const records = await h.runtime.controller.handleEvents([
      sweepEvent({ account: ACCOUNT, region: REGION, guardrail: 'bucket-logging' }),
    ]);
    await publishAndSettle(h.runtime.sink, summariseSweeps(records, new Date()));

    expect(Object.fromEntries(records.map((r) => [r.resource.id, r.outcome]))).toEqual({
      [LOG_BUCKET]: 'ignored',
      [APP]: 'compliant',
      [cdk]: 'ignored',
      ...Object.fromEntries(governed.map((bucket) => [bucket, 'remediated'])),
    });
    expect(await readLogging(c, cdk)).toBeNull();
    for (const bucket of governed) expect(await readLogging(c, bucket), bucket).toMatchObject(wanted(bucket));

    const onBus = await h.audit.drain();
    const summary = onBus.find((r) => r.resource.type === SWEEP_RESOURCE_TYPE);
    const excludedReason = `bucket ${cdk} is excluded by the policy (excludeBuckets: "cdk-hnb659fds-assets-{account}-{region}")`;
    const logBucketReason = `bucket ${LOG_BUCKET} is the log bucket of ${REGION}; log buckets are never given access logging (a logging loop)`;
    expect(summary?.sweep?.ignored).toEqual({
      resources: [
        { type: 'AWS::S3::Bucket', id: cdk, reason: excludedReason },
        { type: 'AWS::S3::Bucket', id: LOG_BUCKET, reason: logBucketReason },
      ],
      more: 0,
    });
    const audit = summarize(onBus, { now: new Date() });
    expect(audit.ignored.resources.map((r) => [r.resource, r.reason])).toEqual([
      [cdk, excludedReason],
      [LOG_BUCKET, logBucketReason],
    ]);
  });

  it('missing log bucket → failed naming the cause and the runbook; nothing written; not retried', async () => {
    await createBucket(emu.clients(), 'orphan', REGION);
    const h = await harness(emu, [bucketLogging], { 'bucket-logging': bucketLoggingSection() });

    const { records, error } = await h.deliverSettled(bucketEvent('CreateBucket', createBucketRequest('orphan', REGION)));

    expect(error).toBeUndefined();
    expect(records[0]).toMatchObject({ outcome: 'failed', retryable: false, runbook: RUNBOOK, verified: null });
    expect(records[0]?.reason).toBe(
      `s3:PutBucketLogging failed: LogBucketMissing: log bucket ${LOG_BUCKET} does not exist; logwarden does not create or re-permission log buckets (the infrastructure owns them): see ${RUNBOOK}`,
    );
    expect(records[0]?.actions).toEqual([
      { api: 's3:PutBucketLogging', ok: false, error: expect.stringContaining('LogBucketMissing') },
    ]);
    expect(h.writes()).toEqual([]);
    expect(await readLogging(emu.clients(), 'orphan')).toBeNull();
    expect((await h.audit.drain()).map((r) => r.outcome)).toEqual(['failed']);
  });

  it('log bucket without permission for logging.s3.amazonaws.com → failed naming the cause; nothing written', async () => {
    await createAccountLogBucket(emu.clients(), REGION, { permit: false });
    await createBucket(emu.clients(), 'orphan', REGION);
    const h = await harness(emu, [bucketLogging], { 'bucket-logging': bucketLoggingSection() });

    const [record] = await h.deliver(bucketEvent('CreateBucket', createBucketRequest('orphan', REGION)));

    expect(record).toMatchObject({ outcome: 'failed', retryable: false });
    expect(record?.reason).toContain(
      `LogBucketNotPermitted: log bucket ${LOG_BUCKET} does not let logging.s3.amazonaws.com write orphan/* for bucket orphan (it has no bucket policy`,
    );
    expect(record?.reason).toContain(RUNBOOK);
    expect(h.calls).toContain('s3:GetBucketAcl');
    expect(h.writes()).toEqual([]);
  });

  it('delivery: a Deny for logging.s3.amazonaws.com added to the log bucket → failed (pages) on the next event and sweep, nothing written', async () => {
    const h = await setup();
    const policy = JSON.parse(
      (
        await emu
          .clients()
          .get(S3Client, REGION)
          .send(new GetBucketPolicyCommand({ Bucket: LOG_BUCKET }))
      ).Policy ?? '{}',
    );
    policy.Statement.push({
      Sid: 'Tamper',
      Effect: 'Deny',
      Principal: { Service: 'logging.s3.amazonaws.com' },
      Action: 's3:PutObject',
      Resource: `arn:aws:s3:::${LOG_BUCKET}/*`,
    });
    await emu
      .clients()
      .get(S3Client, REGION)
      .send(new PutBucketPolicyCommand({ Bucket: LOG_BUCKET, Policy: JSON.stringify(policy) }));

    const [onEvent] = await h.deliver(
      bucketEvent('PutBucketLogging', putBucketLoggingRequest(APP, REGION, { bucket: LOG_BUCKET, prefix: `${APP}/` })),
    );
    expect(onEvent).toMatchObject({ outcome: 'failed', retryable: false, actions: [], runbook: RUNBOOK });
    expect(onEvent?.drift.map((d) => d.property)).toEqual(['logDelivery']);
    expect(onEvent?.reason).toContain(`log bucket ${LOG_BUCKET} does not let logging.s3.amazonaws.com write ${APP}/*`);
    const swept = await h.deliver(sweepEvent({ account: ACCOUNT, region: REGION, guardrail: 'bucket-logging' }));
    expect(swept.find((r) => r.resource.id === APP)).toMatchObject({
      outcome: 'failed',
      drift: [{ property: 'logDelivery' }],
    });
    expect(h.writes()).toEqual([]);
    expect(await readLogging(emu.clients(), APP)).toMatchObject(wanted(APP));
  });

  it('an exemption tag alone never exempts: access logging is put back and the request noted', async () => {
    const h = await setup();
    await tagBucket(emu.clients(), APP, { 'logwarden:exempt': 'CHG-7 vendor bucket, logs go elsewhere' });
    await setLogging(emu.clients(), APP, null);

    const [record] = await h.deliver(bucketEvent('PutBucketLogging', putBucketLoggingRequest(APP, REGION, null)));

    expect(record?.outcome).toBe('remediated');
    expect(record?.reason).toMatch(UNAPPROVED);
    expect(await readLogging(emu.clients(), APP)).toMatchObject(wanted(APP));
  });

  it('a policy exemption leaves the bucket untouched and reported exempt; past its expiry logging is put back', async () => {
    const exemptions = [exemptionOf('bucket-logging', `arn:aws:s3:::${APP}`, 10)];
    const h = await setup(bucketLoggingSection(), { exemptions });
    await setLogging(emu.clients(), APP, null);
    const event = bucketEvent('PutBucketLogging', putBucketLoggingRequest(APP, REGION, null));

    const [record] = await h.deliver(event);

    expect(record).toMatchObject({
      outcome: 'exempt',
      drift: [{ property: 'loggingEnabled', observed: false, desired: true }],
      actions: [],
      exemption: { ticket: 'CHG-42' },
    });
    expect(await readLogging(emu.clients(), APP)).toBeNull();
    expect(h.writes()).toEqual([]);

    const later = controllerOn(
      emu,
      [bucketLogging],
      { 'bucket-logging': bucketLoggingSection() },
      { exemptions, now: daysLater(11) },
    );
    const [expired] = await later.handleEvent(event);
    expect(expired?.outcome).toBe('remediated');
    expect(expired?.reason).toMatch(/policy exemption expired on /);
    expect(await readLogging(emu.clients(), APP)).toMatchObject(wanted(APP));
  });

  it('notify mode changes nothing and reports drift-detected', async () => {
    const h = await setup(bucketLoggingSection({ mode: 'notify' }));
    await setLogging(emu.clients(), APP, null);

    const [record] = await h.deliver(bucketEvent('PutBucketLogging', putBucketLoggingRequest(APP, REGION, null)));

    expect(record).toMatchObject({
      outcome: 'drift-detected',
      mode: 'notify',
      reason: '1 difference(s) from the policy; notify mode, would run: s3:PutBucketLogging',
      actions: [],
    });
    expect(h.writes()).toEqual([]);
    expect(await readLogging(emu.clients(), APP)).toBeNull();
    expect((await h.audit.drain())[0]?.outcome).toBe('drift-detected');
  });

  it('the sweep over a mixed set of buckets fixes exactly the non-compliant ones', async () => {
    const exemptions = [exemptionOf('bucket-logging', 'exempt-one')];
    const h = await setup(bucketLoggingSection({ excludeBuckets: ['scratch-tmp'] }), { exemptions });
    const c = emu.clients();
    await compliantBucket(c, 'good-1');
    await createBucket(c, 'bare');
    await compliantBucket(c, 'switched-off');
    await setLogging(c, 'switched-off', null);
    await compliantBucket(c, 'wrong-prefix');
    await setLogging(c, 'wrong-prefix', { bucket: LOG_BUCKET, prefix: 'elsewhere/' });
    await createBucket(c, 'exempt-one');
    await createBucket(c, 'scratch-tmp');
    // Another region's bucket and log bucket: not listed by this region's sweep, never touched.
    await createAccountLogBucket(c, OTHER_REGION);
    await createBucket(c, 'eu-bare', OTHER_REGION);

    const records = await h.deliver(sweepEvent({ account: ACCOUNT, region: REGION, guardrail: 'bucket-logging' }));

    const outcomes = Object.fromEntries(records.map((r) => [r.resource.id, r.outcome]));
    expect(outcomes).toEqual({
      [LOG_BUCKET]: 'ignored',
      [APP]: 'compliant',
      'good-1': 'compliant',
      bare: 'remediated',
      'switched-off': 'remediated',
      'wrong-prefix': 'remediated',
      'exempt-one': 'exempt',
      'scratch-tmp': 'ignored',
    });
    expect(h.writes()).toEqual(['s3:PutBucketLogging', 's3:PutBucketLogging', 's3:PutBucketLogging']);
    for (const b of ['bare', 'switched-off', 'wrong-prefix']) expect(await readLogging(c, b)).toMatchObject(wanted(b));
    expect(await readLogging(c, 'exempt-one')).toBeNull();
    expect(await readLogging(c, 'scratch-tmp')).toBeNull();
    expect(await readLogging(c, 'eu-bare', OTHER_REGION)).toBeNull();
    expect(h.calls.filter((x) => x === 's3:ListAllMyBuckets')).toHaveLength(1);
    // The listing gives the region: no GetBucketLocation for listed buckets, only for the log bucket check (once).
    expect(h.calls.filter((x) => x === 's3:GetBucketLocation')).toHaveLength(1);

    // Tags are read only for the three buckets with drift (for the unapproved-request note).
    expect(h.calls.filter((x) => x === 's3:GetBucketTagging')).toHaveLength(3);

    // A second sweep is a no-op: one listing and one GetBucketLogging per governed bucket, and the
    // delivery check of the log bucket they all log to, read once (location and policy).
    h.calls.length = 0;
    const again = await h.deliver(sweepEvent({ account: ACCOUNT, region: REGION, guardrail: 'bucket-logging' }));
    expect(again.filter((r) => r.outcome === 'remediated')).toEqual([]);
    expect(h.writes()).toEqual([]);
    const governed = again.filter((r) => r.outcome === 'compliant' || r.outcome === 'exempt');
    expect(h.calls.filter((x) => x !== 'events:PutEvents').sort()).toEqual(
      ['s3:ListAllMyBuckets', 's3:GetBucketLocation', 's3:GetBucketPolicy', ...governed.map(() => 's3:GetBucketLogging')].sort(),
    );
  });

  it('a Config compliance change for a bucket reconciles it', async () => {
    const h = await setup();
    await setLogging(emu.clients(), APP, null);
    const [record] = await h.deliver(
      configComplianceEvent({
        account: ACCOUNT,
        region: REGION,
        resourceType: 'AWS::S3::Bucket',
        resourceId: APP,
        configRuleName: 's3-bucket-logging-enabled',
      }),
    );
    expect(record).toMatchObject({ outcome: 'remediated', trigger: { type: 'config' } });
    expect(await readLogging(emu.clients(), APP)).toMatchObject(wanted(APP));
  });

  it('a bucket in another region named by a us-east-1 event is never changed from us-east-1', async () => {
    const h = await setup();
    await createAccountLogBucket(emu.clients(), OTHER_REGION);
    await createBucket(emu.clients(), 'eu-data', OTHER_REGION);
    const records = await h.deliver(
      // Config's resource id only names the bucket; GetBucketLocation says where it is.
      configComplianceEvent({
        account: ACCOUNT,
        region: REGION,
        resourceType: 'AWS::S3::Bucket',
        resourceId: 'eu-data',
        configRuleName: 's3-bucket-logging-enabled',
      }),
      // A CreateBucket through us-east-1 for eu-west-1 (the event's LocationConstraint).
      bucketEvent('CreateBucket', createBucketRequest('eu-data', OTHER_REGION)),
    );
    expect(records.map((r) => [r.outcome, r.reason])).toEqual([
      ['ignored', `bucket eu-data is in ${OTHER_REGION}; only the ${OTHER_REGION} controller changes it`],
      [
        'ignored',
        `bucket eu-data was created in ${OTHER_REGION}; only the ${OTHER_REGION} controller changes it (its sweep covers it)`,
      ],
    ]);
    expect(h.writes()).toEqual([]);
    expect(await readLogging(emu.clients(), 'eu-data', OTHER_REGION)).toBeNull();
  });

  it('bad input ends in clear records: deleted bucket, failed CreateBucket, malformed BucketLoggingStatus, no bucket name', async () => {
    const h = await setup();
    await createBucket(emu.clients(), 'short-lived');
    await emu
      .clients()
      .get(S3Client, REGION)
      .send(new DeleteBucketCommand({ Bucket: 'short-lived' }));
    await setLogging(emu.clients(), APP, null);
    const malformed = { bucketName: APP, Host: 's3.amazonaws.com', logging: '', BucketLoggingStatus: 'not-xml' };

    const records = await h.deliver(
      bucketEvent('PutBucketLogging', putBucketLoggingRequest('short-lived', REGION, null)),
      bucketEvent('CreateBucket', null, { errorCode: 'BucketAlreadyExists' }),
      bucketEvent('PutBucketLogging', malformed),
      bucketEvent('PutBucketLogging', { Host: 's3.amazonaws.com', logging: '' }),
    );

    expect(records.map((r) => [r.outcome, r.reason])).toEqual([
      ['ignored', 'bucket short-lived does not exist (NoSuchBucket): deleted before it could be checked; nothing to do'],
      ['ignored', 'the CreateBucket call failed (BucketAlreadyExists); nothing changed'],
      ['remediated', 'restored loggingEnabled'],
      ['ignored', 'PutBucketLogging event without a string requestParameters.bucketName'],
    ]);
    expect(await h.audit.drain()).toHaveLength(4);
  });

  it("logwarden's own PutBucketLogging fed back as an event leads to no call", async () => {
    const h = await setup();
    const own = { kind: 'assumed-role' as const, account: ACCOUNT, roleName: 'logwarden-controller', path: '/logwarden/' };
    const [record] = await h.deliver(
      bucketEvent('PutBucketLogging', putBucketLoggingRequest(APP, REGION, { bucket: LOG_BUCKET, prefix: `${APP}/` }), {
        identity: own,
      }),
    );
    expect(record?.outcome).toBe('ignored');
    expect(h.calls).toEqual(['events:PutEvents']);
  });

  it('every API call made is among the declared IAM actions', async () => {
    const h = await setup();
    await createBucket(emu.clients(), 'bare');
    await createBucket(emu.clients(), 'no-perm-target');
    await setLogging(emu.clients(), APP, null);
    await h.deliver(
      bucketEvent('PutBucketLogging', putBucketLoggingRequest(APP, REGION, null)),
      sweepEvent({ account: ACCOUNT, region: REGION, guardrail: 'bucket-logging' }),
    );
    const controllerCalls = h.calls.filter((c) => c !== 'events:PutEvents');
    expect(controllerCalls.length).toBeGreaterThan(8);
    for (const call of controllerCalls) expect(bucketLogging.iamActions).toContain(call);
  });
});
