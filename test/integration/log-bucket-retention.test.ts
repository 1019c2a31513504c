import { DeleteBucketLifecycleCommand, PutBucketVersioningCommand, S3Client } from '@aws-sdk/client-s3';
import { beforeEach, describe, expect, it } from 'vitest';
import { configComplianceEvent, sweepEvent } from '../../cli/events.js';
import { demo as integrityDemo } from '../../controllers/integrity/demo.js';
import { integrity } from '../../controllers/integrity/index.js';
import {
  createLogBucket as createLogBucketIn,
  denyLoggingStatement,
  HEALTHY_RULES,
  healthyStatements,
  ONE_DAY_RULE,
} from '../../controllers/log-bucket-retention/demo.js';
import { logBucketRetention } from '../../controllers/log-bucket-retention/index.js';
import { ACCOUNT, REGION, useEmulator } from '../helpers/emulator.js';
import { harness } from '../helpers/harness.js';
import {
  bucketEvent,
  createLogBucket,
  DECLARED,
  lifecycleEvent,
  MEMBER,
  OWNED,
  putRules,
  putStatements,
  retentionSection,
  rulesOf,
  statementsOf,
  versioningOf,
} from '../helpers/log-bucket-retention.js';

// The emulator (moto 5.2.5) keeps lifecycle rules, versioning and bucket policies as AWS does for
// these calls: every test here makes the real calls and reads the state back.

const emu = useEmulator();
const setup = () => emu.clients();
const s3 = () => setup().get(S3Client, REGION);
const sids = (statements: Record<string, unknown>[]) => statements.map((s) => s.Sid);
const ids = (rules: { ID?: string }[]) => rules.map((r) => r.ID);
const section = { 'log-bucket-retention': retentionSection() };

describe('log-bucket retention guardrail on the emulator', () => {
  beforeEach(async () => {
    await createLogBucket(setup(), OWNED);
    await createLogBucket(setup(), MEMBER);
  });

  it('a one-day expiration rule on the access-log bucket → removed, the other rules kept, one record on the bus', async () => {
    const h = await harness(emu, [logBucketRetention], section);
    await putRules(setup(), OWNED, [...HEALTHY_RULES, ONE_DAY_RULE]);

    const records = await h.deliver(lifecycleEvent(OWNED, [...HEALTHY_RULES, ONE_DAY_RULE]));

    expect(ids(await rulesOf(setup(), OWNED))).toEqual(ids(HEALTHY_RULES));
    const onBus = await h.audit.drain();
    expect(onBus).toHaveLength(1);
    expect(onBus[0]?.id).toBe(records[0]?.id);
    expect(onBus[0]).toMatchObject({
      guardrail: 'log-bucket-retention',
      outcome: 'remediated',
      verified: true,
      resource: { type: 'AWS::S3::Bucket', id: OWNED, arn: `arn:aws:s3:::${OWNED}` },
      trigger: { type: 'cloudtrail', eventName: 'PutBucketLifecycle', actor: `arn:aws:iam::${ACCOUNT}:user/mallory` },
      drift: [
        {
          property: 'lifecycle.shortRetention',
          observed: [
            { rule: 'cleanup', appliesTo: 'every object', problems: ['expires current objects after 1 day(s) (minimum 90)'] },
          ],
          desired: [],
        },
      ],
      actions: [{ api: 's3:PutLifecycleConfiguration', ok: true, error: null }],
      runbook: 'runbooks/log-bucket-retention.md',
    });
    expect(h.calls.filter((c) => c !== 'events:PutEvents')).toEqual([
      's3:GetBucketLocation',
      's3:GetBucketVersioning',
      's3:GetLifecycleConfiguration',
      's3:GetBucketPolicy',
      's3:PutLifecycleConfiguration',
      's3:GetLifecycleConfiguration',
    ]);
    for (const call of h.calls.filter((c) => c !== 'events:PutEvents')) expect(DECLARED).toContain(call);
  });

  it('when every rule expires logs too early, the lifecycle configuration is deleted (DeleteBucketLifecycle)', async () => {
    const h = await harness(emu, [logBucketRetention], section);
    const dated = {
      ID: 'on-a-date',
      Status: 'Enabled' as const,
      Filter: { Prefix: 'AWSLogs/' },
      Expiration: { Date: new Date('2030-01-01T00:00:00Z') },
    };
    await putRules(setup(), OWNED, [ONE_DAY_RULE, dated]);

    const records = await h.deliver(lifecycleEvent(OWNED, [ONE_DAY_RULE, dated]));

    expect(await rulesOf(setup(), OWNED)).toEqual([]);
    expect(records).toMatchObject([
      { outcome: 'remediated', verified: true, actions: [{ api: 's3:PutLifecycleConfiguration' }] },
    ]);
    expect(records[0]?.drift[0]?.observed).toMatchObject([
      { rule: 'cleanup' },
      { rule: 'on-a-date', appliesTo: 'objects under "AWSLogs/"' },
    ]);
    // DeleteBucketLifecycle is recorded under its IAM action, which is declared.
    for (const call of h.calls.filter((c) => c !== 'events:PutEvents')) expect(DECLARED).toContain(call);
  });

  it('an added Deny of logging.s3.amazonaws.com → removed and reported, the other statements kept', async () => {
    const h = await harness(emu, [logBucketRetention], section);
    const statements = [...healthyStatements(OWNED, ACCOUNT), denyLoggingStatement(OWNED)];
    await putStatements(setup(), OWNED, statements);

    const records = await h.deliver(bucketEvent('PutBucketPolicy', OWNED, { bucketPolicy: { Statement: statements } }));

    expect(sids(await statementsOf(setup(), OWNED))).toEqual(['DenyInsecureTransport', 'S3ServerAccessLogsFromThisAccount']);
    expect(records).toMatchObject([
      {
        outcome: 'remediated',
        verified: true,
        drift: [
          {
            property: 'bucketPolicy.denyLogDelivery',
            observed: [
              { statement: 'NoMoreAccessLogs', problem: 'denies s3:PutObject to logging.s3.amazonaws.com without a condition' },
            ],
          },
        ],
        actions: [{ api: 's3:PutBucketPolicy', ok: true }],
      },
    ]);
    expect(records[0]?.reason).toMatch(/bucketPolicy\.denyLogDelivery/);
    expect((await h.audit.drain()).map((r) => r.outcome)).toEqual(['remediated']);
  });

  it('versioning suspended → Enabled again', async () => {
    const h = await harness(emu, [logBucketRetention], section);
    await s3().send(new PutBucketVersioningCommand({ Bucket: OWNED, VersioningConfiguration: { Status: 'Suspended' } }));

    const records = await h.deliver(
      bucketEvent('PutBucketVersioning', OWNED, { VersioningConfiguration: { Status: 'Suspended' } }),
    );

    expect(await versioningOf(setup(), OWNED)).toBe('Enabled');
    expect(records).toMatchObject([
      { outcome: 'remediated', verified: true, drift: [{ property: 'versioning', observed: 'Suspended', desired: 'Enabled' }] },
    ]);
    expect(h.writes()).toEqual(['s3:PutBucketVersioning']);
  });

  it('a member-owned bucket is only reported, naming the rule, the statement and the runbook; nothing is written', async () => {
    const h = await harness(emu, [logBucketRetention], section);
    await putRules(setup(), MEMBER, [...HEALTHY_RULES, ONE_DAY_RULE]);
    await putStatements(setup(), MEMBER, [...healthyStatements(MEMBER, ACCOUNT), denyLoggingStatement(MEMBER)]);
    await s3().send(new PutBucketVersioningCommand({ Bucket: MEMBER, VersioningConfiguration: { Status: 'Suspended' } }));

    const records = await h.deliver(lifecycleEvent(MEMBER, [ONE_DAY_RULE]));

    expect(records).toMatchObject([{ outcome: 'drift-detected', mode: 'notify', actions: [] }]);
    expect(records[0]?.reason).toMatch(/member-owned.*cleanup.*NoMoreAccessLogs.*Suspended.*runbooks\/log-bucket-retention\.md/);
    expect(h.writes()).toEqual([]);
    expect(ids(await rulesOf(setup(), MEMBER))).toContain('cleanup');
    expect(await versioningOf(setup(), MEMBER)).toBe('Suspended');
  });

  it('a look-alike bucket, and an event without a bucket name, are ignored with the reason; nothing is read', async () => {
    const h = await harness(emu, [logBucketRetention], section);
    const lookAlike = `logwarden-access-logs-${ACCOUNT}-zz-evil-1`;
    const [ignored] = await h.deliver(lifecycleEvent(lookAlike, [ONE_DAY_RULE]));
    expect(ignored).toMatchObject({ outcome: 'ignored', resource: { id: lookAlike } });
    expect(ignored?.reason).toMatch(/not one of the log buckets/);
    const [noName] = await h.deliver(bucketEvent('DeleteBucketPolicy', ''));
    expect(noName).toMatchObject({ outcome: 'ignored' });
    expect(noName?.reason).toMatch(/without a string requestParameters.bucketName/);
    expect(h.calls.filter((c) => c !== 'events:PutEvents')).toEqual([]);
  });

  it('DeleteBucketLifecycle leaves nothing to fix: compliant; a sweep and a Config evaluation check every listed bucket', async () => {
    const h = await harness(emu, [logBucketRetention], section);
    await s3().send(new DeleteBucketLifecycleCommand({ Bucket: OWNED }));
    expect(await h.deliver(bucketEvent('DeleteBucketLifecycle', OWNED))).toMatchObject([{ outcome: 'compliant' }]);

    await putRules(setup(), OWNED, [ONE_DAY_RULE]);
    const swept = await h.deliver(sweepEvent({ account: ACCOUNT, region: REGION, guardrail: 'log-bucket-retention' }));
    const outcomes = Object.fromEntries(swept.filter((r) => r.resource.id !== 'unknown').map((r) => [r.resource.id, r.outcome]));
    expect(outcomes).toMatchObject({ [OWNED]: 'remediated', [MEMBER]: 'compliant' });

    const config = configComplianceEvent({
      account: ACCOUNT,
      region: REGION,
      resourceType: 'AWS::S3::Bucket',
      resourceId: MEMBER,
      configRuleName: 'logwarden-log-bucket-retention',
    });
    expect(await h.deliver(config)).toMatchObject([{ outcome: 'compliant', resource: { id: MEMBER } }]);
  });

  it('a listed bucket that does not exist, or that is in another region, is skipped with the reason', async () => {
    const elsewhere = `region-less-logs-${ACCOUNT}`;
    await createLogBucketIn(setup(), { account: ACCOUNT, region: 'eu-west-1' }, elsewhere);
    const h = await harness(emu, [logBucketRetention], {
      'log-bucket-retention': retentionSection({
        buckets: [
          { name: 'never-created-{account}-{region}', owner: 'member' },
          { name: 'region-less-logs-{account}', owner: 'logwarden' },
        ],
      }),
    });
    const [missing] = await h.deliver(lifecycleEvent(`never-created-${ACCOUNT}-${REGION}`, [ONE_DAY_RULE]));
    expect(missing).toMatchObject({ outcome: 'ignored' });
    expect(missing?.reason).toMatch(/does not exist/);
    const [other] = await h.deliver(lifecycleEvent(elsewhere, [ONE_DAY_RULE]));
    expect(other).toMatchObject({ outcome: 'ignored' });
    expect(other?.reason).toMatch(/is in eu-west-1, not in us-east-1/);
    expect(h.writes()).toEqual([]);
  });

  it('with the integrity guardrail on the same bucket: each removes what it owns, then both find it compliant (a fixed point)', async () => {
    await integrityDemo.prepare({ account: ACCOUNT, region: REGION, clients: setup() });
    const bucket = `logwarden-integrity-demo-access-logs-${ACCOUNT}`;
    await s3().send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
    const h = await harness(emu, [integrity, logBucketRetention], {
      integrity: integrityDemo.policySection({ account: ACCOUNT, region: REGION }),
      'log-bucket-retention': retentionSection({
        buckets: [{ name: 'logwarden-integrity-demo-access-logs-{account}', owner: 'logwarden' }],
      }),
    });
    const theirs = {
      Sid: 'Theirs',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
      Action: 's3:GetObject',
      Resource: `arn:aws:s3:::${bucket}/*`,
    };
    const denyTrail = { ...denyLoggingStatement(bucket), Sid: 'NoTrail', Principal: { Service: 'cloudtrail.amazonaws.com' } };
    // logwarden's own statement turned into a Deny: integrity restores it by Sid, this guardrail removes it.
    const own = (await statementsOf(setup(), bucket))[0] ?? {};
    const turned = { ...own, Effect: 'Deny' };
    await putStatements(setup(), bucket, [theirs, turned, denyLoggingStatement(bucket), denyTrail]);

    const first = await h.deliver(bucketEvent('PutBucketPolicy', bucket));
    expect(first.map((r) => [r.guardrail, r.outcome])).toEqual([
      ['integrity', 'remediated'],
      ['log-bucket-retention', 'remediated'],
    ]);
    const settled = await statementsOf(setup(), bucket);
    expect(sids(settled)).toEqual(['Theirs', own.Sid]);
    expect(settled[1]).toEqual(own);

    const second = await h.deliver(bucketEvent('PutBucketPolicy', bucket));
    expect(second.map((r) => [r.guardrail, r.outcome])).toEqual([
      ['integrity', 'compliant'],
      ['log-bucket-retention', 'compliant'],
    ]);
    expect(await statementsOf(setup(), bucket)).toEqual(settled);
  });
});
