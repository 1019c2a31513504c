import {
  AddTagsCommand,
  CloudTrailClient,
  DeleteTrailCommand,
  GetEventSelectorsCommand,
  GetTrailCommand,
  GetTrailStatusCommand,
  PutEventSelectorsCommand,
  StopLoggingCommand,
  UpdateTrailCommand,
} from '@aws-sdk/client-cloudtrail';
import { beforeEach, describe, expect, it } from 'vitest';
import { configComplianceEvent, sweepEvent } from '../../cli/events.js';
import { cloudtrail } from '../../controllers/cloudtrail/index.js';
import { functionRoleName, ownRoleArnTemplate, ROLE_PATH } from '../../controllers/core/identity.js';
import { BUCKET, createTrailBucket, KMS_KEY, LOG_GROUP, TRAIL, trailEvent, trailPolicy } from '../helpers/cloudtrail.js';
import { ACCOUNT, REGION, useEmulator } from '../helpers/emulator.js';
import { controllerOn, type Harness, harness } from '../helpers/harness.js';
import { daysLater, exemptionOf, UNAPPROVED } from '../helpers/policy.js';

const emu = useEmulator();
const TRAIL_ARN = `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/${TRAIL}`;
const ct = () => emu.clients().get(CloudTrailClient, REGION);

async function readTrail() {
  const trail = (await ct().send(new GetTrailCommand({ Name: TRAIL }))).Trail;
  const status = await ct().send(new GetTrailStatusCommand({ Name: TRAIL }));
  const selectors = await ct().send(new GetEventSelectorsCommand({ TrailName: TRAIL }));
  return { trail, isLogging: status.IsLogging, selectors };
}

/** A compliant baseline made by the controller itself from the policy. */
async function baseline(section = trailPolicy(), controller?: Record<string, unknown>): Promise<Harness> {
  await createTrailBucket(emu.clients());
  const h = await harness(emu, [cloudtrail], { cloudtrail: section }, { controller });
  const [created] = await h.deliver(sweepEvent({ account: ACCOUNT, region: REGION, guardrail: 'cloudtrail' }));
  expect(created?.outcome).toBe('remediated');
  await h.audit.drain();
  h.calls.length = 0;
  return h;
}

describe('CloudTrail guardrail on the emulator', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await baseline();
  });

  it('StopLogging (trail named by ARN) → StartLogging, verified, one record on the bus', async () => {
    await ct().send(new StopLoggingCommand({ Name: TRAIL }));
    expect((await readTrail()).isLogging).toBe(false);

    const records = await h.deliver(trailEvent('StopLogging', { name: TRAIL_ARN }));

    expect((await readTrail()).isLogging).toBe(true);
    const onBus = await h.audit.drain();
    expect(onBus).toHaveLength(1);
    expect(onBus[0]).toMatchObject({
      guardrail: 'cloudtrail',
      outcome: 'remediated',
      verified: true,
      account: ACCOUNT,
      region: REGION,
      resource: { type: 'AWS::CloudTrail::Trail', id: TRAIL, arn: TRAIL_ARN },
      trigger: { type: 'cloudtrail', eventName: 'StopLogging', actor: `arn:aws:iam::${ACCOUNT}:user/mallory` },
      drift: [{ property: 'isLogging', observed: false, desired: true }],
      actions: [{ api: 'cloudtrail:StartLogging', ok: true, error: null }],
      runbook: 'runbooks/cloudtrail.md',
    });
    expect(onBus[0]?.id).toBe(records[0]?.id);
    expect(h.writes()).toEqual(['cloudtrail:StartLogging']);
    // Four reads to decide, the write, one read to verify (StartLogging changes only the status), the audit PutEvents.
    expect(h.calls).toHaveLength(7);
    expect(h.calls.filter((c) => c === 'cloudtrail:GetTrailStatus')).toHaveLength(2);
    expect(h.calls.filter((c) => c === 'cloudtrail:ListTags')).toHaveLength(1);
  });

  it('DeleteTrail → trail recreated from the policy with its selectors, logging', async () => {
    await ct().send(new DeleteTrailCommand({ Name: TRAIL }));

    await h.deliver(trailEvent('DeleteTrail', { name: TRAIL }));

    const { trail, isLogging, selectors } = await readTrail();
    expect(trail).toMatchObject({
      S3BucketName: BUCKET,
      S3KeyPrefix: 'cloudtrail',
      KmsKeyId: KMS_KEY,
      IsMultiRegionTrail: true,
      LogFileValidationEnabled: true,
      IncludeGlobalServiceEvents: true,
      CloudWatchLogsLogGroupArn: LOG_GROUP,
    });
    expect(isLogging).toBe(true);
    expect(selectors.EventSelectors).toEqual([
      { ReadWriteType: 'All', IncludeManagementEvents: true, DataResources: [], ExcludeManagementEventSources: [] },
    ]);
    const [record] = await h.audit.drain();
    expect(record?.outcome).toBe('remediated');
    expect(record?.actions.map((a) => a.api)).toEqual([
      'cloudtrail:CreateTrail',
      'cloudtrail:PutEventSelectors',
      'cloudtrail:StartLogging',
    ]);
  });

  it('UpdateTrail that weakens everything → one UpdateTrail puts every field back', async () => {
    await ct().send(
      new UpdateTrailCommand({
        Name: TRAIL,
        IsMultiRegionTrail: false,
        EnableLogFileValidation: false,
        KmsKeyId: '',
        S3BucketName: 'attacker-bucket',
        IncludeGlobalServiceEvents: false,
        CloudWatchLogsLogGroupArn: '',
        CloudWatchLogsRoleArn: '',
      }),
    );
    const event = trailEvent(
      'UpdateTrail',
      {
        name: TRAIL,
        isMultiRegionTrail: false,
        enableLogFileValidation: false,
        kmsKeyId: '',
        s3BucketName: 'attacker-bucket',
        includeGlobalServiceEvents: false,
      },
      {
        responseElements: {
          name: TRAIL,
          s3BucketName: 'attacker-bucket',
          isMultiRegionTrail: false,
          logFileValidationEnabled: false,
          trailARN: TRAIL_ARN,
        },
      },
    );

    await h.deliver(event);

    const { trail } = await readTrail();
    expect(trail).toMatchObject({
      S3BucketName: BUCKET,
      KmsKeyId: KMS_KEY,
      IsMultiRegionTrail: true,
      LogFileValidationEnabled: true,
      IncludeGlobalServiceEvents: true,
      CloudWatchLogsLogGroupArn: LOG_GROUP,
    });
    const [record] = await h.audit.drain();
    expect(record?.outcome).toBe('remediated');
    expect(record?.drift.map((d) => d.property).sort()).toEqual(
      [
        'cloudWatchLogsLogGroupArn',
        'cloudWatchLogsRoleArn',
        'includeGlobalServiceEvents',
        'isMultiRegionTrail',
        'kmsKeyId',
        'logFileValidationEnabled',
        's3BucketName',
      ].sort(),
    );
    expect(h.writes()).toEqual(['cloudtrail:UpdateTrail']);
  });

  it('PutEventSelectors narrowing to ReadOnly without management events → policy selectors restored', async () => {
    await ct().send(
      new PutEventSelectorsCommand({
        TrailName: TRAIL,
        EventSelectors: [{ ReadWriteType: 'ReadOnly', IncludeManagementEvents: false }],
      }),
    );
    await h.deliver(
      trailEvent('PutEventSelectors', {
        trailName: TRAIL,
        eventSelectors: [
          { readWriteType: 'ReadOnly', includeManagementEvents: false, dataResources: [], excludeManagementEventSources: [] },
        ],
      }),
    );
    const { selectors } = await readTrail();
    expect(selectors.EventSelectors?.[0]).toMatchObject({ ReadWriteType: 'All', IncludeManagementEvents: true });
    const [record] = await h.audit.drain();
    expect(record).toMatchObject({ outcome: 'remediated', actions: [{ api: 'cloudtrail:PutEventSelectors', ok: true }] });
  });

  it('an UpdateTrail that changed nothing governed ends compliant, with no write', async () => {
    await h.deliver(trailEvent('UpdateTrail', { name: TRAIL, s3KeyPrefix: 'cloudtrail' }));
    const [record] = await h.audit.drain();
    expect(record).toMatchObject({ outcome: 'compliant', actions: [] });
    expect(h.writes()).toEqual([]);
  });

  it("logwarden's own remediation fed back as an event leads to no write (loop test)", async () => {
    await ct().send(new StopLoggingCommand({ Name: TRAIL }));
    await h.deliver(trailEvent('StopLogging', { name: TRAIL }));
    await h.audit.drain();
    h.calls.length = 0;
    const own = {
      kind: 'assumed-role' as const,
      account: ACCOUNT,
      roleName: 'logwarden-controller',
      path: '/logwarden/',
      session: 'cloudtrail',
    };
    const echoes = [
      trailEvent('StartLogging', { name: TRAIL_ARN }, { identity: own }),
      trailEvent('UpdateTrail', { name: TRAIL_ARN, isMultiRegionTrail: true }, { identity: own }),
      trailEvent('PutEventSelectors', { trailName: TRAIL_ARN, eventSelectors: [] }, { identity: own }),
    ];

    const records = await h.deliver(...echoes);

    expect(h.calls).toEqual(['events:PutEvents']);
    expect(records.map((r) => [r.outcome, r.reason])).toEqual([
      ['ignored', 'no guardrail reacts to aws.cloudtrail StartLogging'],
      ['ignored', `made by logwarden's own role arn:aws:iam::${ACCOUNT}:role/logwarden/logwarden-controller`],
      ['ignored', `made by logwarden's own role arn:aws:iam::${ACCOUNT}:role/logwarden/logwarden-controller`],
    ]);
  });

  it('a role with the same name on another path is not logwarden', async () => {
    await ct().send(new StopLoggingCommand({ Name: TRAIL }));
    const impostor = { kind: 'assumed-role' as const, account: ACCOUNT, roleName: 'logwarden-controller', path: '/attacker/' };
    const [record] = await h.deliver(trailEvent('StopLogging', { name: TRAIL }, { identity: impostor }));
    expect(record?.outcome).toBe('remediated');
    expect((await readTrail()).isLogging).toBe(true);
  });

  it('a failed call leads to no action and no API call', async () => {
    const [record] = await h.deliver(trailEvent('StopLogging', null, { errorCode: 'AccessDenied' }));
    expect(record).toMatchObject({ outcome: 'ignored', reason: 'the StopLogging call failed (AccessDenied); nothing changed' });
    expect(h.calls).toEqual(['events:PutEvents']);
    expect(await h.audit.drain()).toHaveLength(1);
  });

  it('an exemption tag alone never exempts: the stopped trail is restarted and the request noted', async () => {
    await ct().send(
      new AddTagsCommand({ ResourceId: TRAIL_ARN, TagsList: [{ Key: 'logwarden:exempt', Value: 'INC-42 migration window' }] }),
    );
    await ct().send(new StopLoggingCommand({ Name: TRAIL }));
    const [record] = await h.deliver(trailEvent('StopLogging', { name: TRAIL }));
    expect(record?.outcome).toBe('remediated');
    expect(record?.reason).toMatch(UNAPPROVED);
    expect(record?.reason).toContain('INC-42 migration window');
    expect((await readTrail()).isLogging).toBe(true);
  });

  it('a policy exemption leaves the trail stopped and reported exempt; past its expiry it is restarted', async () => {
    const exemptions = [exemptionOf('cloudtrail', TRAIL_ARN, 30)];
    const exempted = controllerOn(emu, [cloudtrail], { cloudtrail: trailPolicy() }, { exemptions });
    await ct().send(new StopLoggingCommand({ Name: TRAIL }));
    const [exempt] = await exempted.handleEvent(trailEvent('StopLogging', { name: TRAIL }));
    expect(exempt).toMatchObject({ outcome: 'exempt', actions: [], exemption: { ticket: 'CHG-42', approver: null } });
    expect(exempt?.reason).toMatch(/^exempt: migration window \(ticket CHG-42; until /);
    expect((await readTrail()).isLogging).toBe(false);

    const later = controllerOn(emu, [cloudtrail], { cloudtrail: trailPolicy() }, { exemptions, now: daysLater(31) });
    const [expired] = await later.handleEvent(trailEvent('StopLogging', { name: TRAIL }));
    expect(expired?.outcome).toBe('remediated');
    expect(expired?.reason).toMatch(/policy exemption expired on .* \(ticket CHG-42\)/);
    expect((await readTrail()).isLogging).toBe(true);
  });

  it('a Config compliance change for the trail reconciles it', async () => {
    await ct().send(new StopLoggingCommand({ Name: TRAIL }));
    await h.deliver(
      configComplianceEvent({
        account: ACCOUNT,
        region: REGION,
        resourceType: 'AWS::CloudTrail::Trail',
        resourceId: TRAIL,
        configRuleName: 'logwarden-cloudtrail',
      }),
    );
    expect((await readTrail()).isLogging).toBe(true);
    const [record] = await h.audit.drain();
    expect(record).toMatchObject({ outcome: 'remediated', trigger: { type: 'config' } });
  });

  it("an account-level evaluation of its Config rule (a deleted trail) sweeps the account; another rule's is ignored", async () => {
    await ct().send(new DeleteTrailCommand({ Name: TRAIL }));
    const accountLevel = (configRuleName: string) =>
      configComplianceEvent({
        account: ACCOUNT,
        region: REGION,
        resourceType: 'AWS::::Account',
        resourceId: ACCOUNT,
        configRuleName,
      });
    const records = await h.deliver(accountLevel('logwarden-cloudtrail'), accountLevel('someone-elses-rule'));
    expect((await readTrail()).isLogging).toBe(true);
    expect(records.map((r) => [r.resource.id, r.outcome, r.trigger.type])).toEqual([
      [TRAIL, 'remediated', 'config'],
      ['unknown', 'ignored', 'config'],
    ]);
    expect(records[1]?.reason).toBe("account-level evaluation of someone-elses-rule, which is no guardrail's Config rule");
    expect((await h.audit.drain()).map((r) => r.outcome)).toEqual(['remediated', 'ignored']);
  });

  it('events about trails the policy does not govern, or another account, are ignored with the reason', async () => {
    const records = await h.deliver(
      trailEvent('StopLogging', { name: 'someone-elses-trail' }),
      trailEvent('StopLogging', { name: `arn:aws:cloudtrail:${REGION}:999999999999:trail/${TRAIL}` }),
    );
    expect(records.map((r) => r.reason)).toEqual([
      'trail someone-elses-trail is not governed by the policy',
      `trail ${TRAIL} belongs to account 999999999999; trails are governed in the account that owns it`,
    ]);
    expect(h.writes()).toEqual([]);
  });

  it('the sweep reports every governed trail compliant without a write', async () => {
    const records = await h.deliver(sweepEvent({ account: ACCOUNT, region: REGION }));
    expect(records.map((r) => [r.resource.id, r.outcome])).toEqual([[TRAIL, 'compliant']]);
    expect(h.writes()).toEqual([]);
    // GetTrail, GetTrailStatus, GetEventSelectors (no ListTags: tags are read only on drift), then the audit PutEvents.
    expect([...h.calls].sort()).toEqual(
      ['cloudtrail:GetEventSelectors', 'cloudtrail:GetTrail', 'cloudtrail:GetTrailStatus', 'events:PutEvents'].sort(),
    );
  });

  it('every API call made is among the guardrail declared IAM actions', async () => {
    await ct().send(new DeleteTrailCommand({ Name: TRAIL }));
    await h.deliver(trailEvent('DeleteTrail', { name: TRAIL }));
    await ct().send(new UpdateTrailCommand({ Name: TRAIL, IsMultiRegionTrail: false }));
    await h.deliver(trailEvent('UpdateTrail', { name: TRAIL, isMultiRegionTrail: false }));
    const controllerCalls = h.calls.filter((c) => c !== 'events:PutEvents');
    expect(controllerCalls.length).toBeGreaterThan(5);
    for (const call of controllerCalls) expect(cloudtrail.iamActions).toContain(call);
  });
});

describe('CloudTrail guardrail modes', () => {
  it('notify mode changes nothing and reports drift-detected', async () => {
    await createTrailBucket(emu.clients());
    const h = await harness(emu, [cloudtrail], { cloudtrail: { ...trailPolicy(), mode: 'notify' } });
    const [record] = await h.deliver(trailEvent('DeleteTrail', { name: TRAIL }));
    expect(record).toMatchObject({
      outcome: 'drift-detected',
      mode: 'notify',
      drift: [{ property: 'exists', observed: false, desired: true }],
      actions: [],
    });
    expect(h.writes()).toEqual([]);
    expect((await h.audit.drain())[0]?.outcome).toBe('drift-detected');
  });

  it('advanced selectors narrowed to read-only are restored to the policy ones', async () => {
    const advanced = [{ Name: 'all management events', FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }] }];
    const h = await baseline(trailPolicy({ advancedEventSelectors: advanced }));
    await ct().send(
      new PutEventSelectorsCommand({
        TrailName: TRAIL,
        AdvancedEventSelectors: [
          {
            Name: 'reads only',
            FieldSelectors: [
              { Field: 'eventCategory', Equals: ['Management'] },
              { Field: 'readOnly', Equals: ['true'] },
            ],
          },
        ],
      }),
    );
    const [record] = await h.deliver(
      trailEvent('PutEventSelectors', {
        trailName: TRAIL,
        advancedEventSelectors: [
          {
            name: 'reads only',
            fieldSelectors: [
              { field: 'eventCategory', equals: ['Management'] },
              { field: 'readOnly', equals: ['true'] },
            ],
          },
        ],
      }),
    );
    expect(record?.outcome).toBe('remediated');
    const { selectors } = await readTrail();
    expect(selectors.AdvancedEventSelectors).toEqual(advanced);
  });
});

describe("logwarden's exact identity on the emulator (the policy as deployed: exact role ARNs)", () => {
  const ownName = functionRoleName('controller', 'cloudtrail', REGION);
  const OTHER_ACCOUNT = '999999999999';
  let h: Harness;
  beforeEach(async () => {
    h = await baseline(trailPolicy(), { ownRoleArns: [ownRoleArnTemplate('cloudtrail')] });
  });

  /** The trail really stopped by `identity`, and that call's event delivered to the controller. */
  async function stoppedBy(roleName: string, path: string, account = ACCOUNT) {
    await ct().send(new StopLoggingCommand({ Name: TRAIL }));
    const identity = { kind: 'assumed-role' as const, account, roleName, path, session: 'mallory' };
    const [record] = await h.deliver(trailEvent('StopLogging', { name: TRAIL }, { identity }));
    return { record, actor: `arn:aws:sts::${account}:assumed-role/${roleName}/mallory` };
  }

  it.each([
    ["a role on logwarden's path with another name", 'attacker', ROLE_PATH, ACCOUNT],
    ["logwarden's role name with a suffix", `${ownName}-x`, ROLE_PATH, ACCOUNT],
    ["logwarden's exact role name in another account", ownName, ROLE_PATH, OTHER_ACCOUNT],
  ])('%s is not logwarden: its StopLogging is remediated and it is the actor', async (_label, roleName, path, account) => {
    const { record, actor } = await stoppedBy(roleName, path, account);

    expect(record).toMatchObject({ outcome: 'remediated', verified: true, trigger: { eventName: 'StopLogging', actor } });
    expect((await readTrail()).isLogging).toBe(true);
    expect(h.writes()).toEqual(['cloudtrail:StartLogging']);
  });

  it("logwarden's own exact role is ignored: nothing read, nothing written", async () => {
    const { record } = await stoppedBy(ownName, ROLE_PATH);

    expect(record).toMatchObject({
      outcome: 'ignored',
      reason: `made by logwarden's own role arn:aws:iam::${ACCOUNT}:role${ROLE_PATH}${ownName}`,
    });
    expect(h.calls).toEqual(['events:PutEvents']);
    expect((await readTrail()).isLogging).toBe(false);
  });
});
