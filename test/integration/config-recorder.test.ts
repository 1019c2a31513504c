import {
  DeleteConfigurationRecorderCommand,
  DeleteDeliveryChannelCommand,
  PutConfigurationRecorderCommand,
  PutDeliveryChannelCommand,
  StopConfigurationRecorderCommand,
} from '@aws-sdk/client-config-service';
import { beforeEach, describe, expect, it } from 'vitest';
import { configComplianceEvent, sweepEvent } from '../../cli/events.js';
import { configRecorder } from '../../controllers/config-recorder/index.js';
import {
  CONFIG_BUCKET,
  cfg,
  configEvent,
  handMadeRecorder,
  RECORDER_ROLE,
  readRecording,
  recorderPolicy,
} from '../helpers/config-recorder.js';
import { ACCOUNT, REGION, useEmulator } from '../helpers/emulator.js';
import { controllerOn, type Harness, harness } from '../helpers/harness.js';
import { daysLater, exemptionOf } from '../helpers/policy.js';

const emu = useEmulator();
const OTHER_REGION = 'eu-west-1';
const client = () => cfg(emu.clients());
const TYPE = 'AWS::Config::ConfigurationRecorder';
const configCalls = (h: Harness) => h.calls.filter((c) => c !== 'events:PutEvents');

/** The recording the test policy wants, as readRecording shows it. */
const WANTED = {
  recorders: [
    {
      name: 'default',
      roleARN: RECORDER_ROLE,
      allSupported: true,
      includeGlobalResourceTypes: true,
      resourceTypes: [],
      recording: true,
    },
  ],
  channels: [{ name: 'default', s3BucketName: CONFIG_BUCKET, s3KeyPrefix: 'config', deliveryFrequency: 'Six_Hours' }],
};

/** A compliant baseline made by the controller itself from nothing: recorder, channel, start. */
async function baseline(section: Record<string, unknown> = recorderPolicy()): Promise<Harness> {
  const h = await harness(emu, [configRecorder], { 'config-recorder': section });
  const [created] = await h.deliver(sweepEvent({ account: ACCOUNT, region: REGION, guardrail: 'config-recorder' }));
  expect(created).toMatchObject({
    outcome: 'remediated',
    verified: true,
    actions: [
      { api: 'config:PutConfigurationRecorder', ok: true },
      { api: 'config:PutDeliveryChannel', ok: true },
      { api: 'config:StartConfigurationRecorder', ok: true },
    ],
  });
  await h.audit.drain();
  h.calls.length = 0;
  return h;
}

describe('config-recorder guardrail on the emulator', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await baseline();
  });

  it('the baseline sweep created one recorder recording everything with the global types, and the channel', async () => {
    expect(await readRecording(emu.clients())).toEqual(WANTED);
  });

  it('StopConfigurationRecorder → started again, verified, one record on the bus', async () => {
    await client().send(new StopConfigurationRecorderCommand({ ConfigurationRecorderName: 'default' }));
    expect((await readRecording(emu.clients())).recorders[0]?.recording).toBe(false);

    const records = await h.deliver(configEvent('StopConfigurationRecorder', { configurationRecorderName: 'default' }));

    expect(await readRecording(emu.clients())).toEqual(WANTED);
    const onBus = await h.audit.drain();
    expect(onBus).toHaveLength(1);
    expect(onBus[0]).toMatchObject({
      guardrail: 'config-recorder',
      outcome: 'remediated',
      verified: true,
      account: ACCOUNT,
      region: REGION,
      resource: { type: TYPE, id: 'default', arn: null },
      trigger: { type: 'cloudtrail', eventName: 'StopConfigurationRecorder', actor: `arn:aws:iam::${ACCOUNT}:user/mallory` },
      drift: [{ property: 'recording', observed: false, desired: true }],
      actions: [{ api: 'config:StartConfigurationRecorder', ok: true, error: null }],
      runbook: 'runbooks/config-recorder.md',
    });
    expect(onBus[0]?.id).toBe(records[0]?.id);
    expect(h.writes()).toEqual(['config:StartConfigurationRecorder']);
  });

  it('StopConfigurationRecorder then DeleteDeliveryChannel → the channel is put back, then the recorder started', async () => {
    await client().send(new StopConfigurationRecorderCommand({ ConfigurationRecorderName: 'default' }));
    await client().send(new DeleteDeliveryChannelCommand({ DeliveryChannelName: 'default' }));

    await h.deliver(configEvent('DeleteDeliveryChannel', { deliveryChannelName: 'default' }));

    expect(await readRecording(emu.clients())).toEqual(WANTED);
    const [record] = await h.audit.drain();
    expect(record).toMatchObject({
      outcome: 'remediated',
      verified: true,
      drift: [
        { property: 'recording', observed: false, desired: true },
        { property: 'deliveryChannel', observed: null },
      ],
      actions: [{ api: 'config:PutDeliveryChannel' }, { api: 'config:StartConfigurationRecorder' }],
    });
    expect(h.writes()).toEqual(['config:PutDeliveryChannel', 'config:StartConfigurationRecorder']);
  });

  it('the Stop event delivered after the channel was already restored finds the region compliant', async () => {
    await client().send(new StopConfigurationRecorderCommand({ ConfigurationRecorderName: 'default' }));
    await client().send(new DeleteDeliveryChannelCommand({ DeliveryChannelName: 'default' }));
    const [first] = await h.deliver(configEvent('StopConfigurationRecorder', { configurationRecorderName: 'default' }));
    const [second] = await h.deliver(configEvent('DeleteDeliveryChannel', { deliveryChannelName: 'default' }));
    expect([first?.outcome, second?.outcome]).toEqual(['remediated', 'compliant']);
    expect(await readRecording(emu.clients())).toEqual(WANTED);
    expect((await h.audit.drain()).map((r) => r.outcome)).toEqual(['remediated', 'compliant']);
  });

  it('DeleteConfigurationRecorder → recreated from the policy and started; never a second recorder', async () => {
    await client().send(new DeleteConfigurationRecorderCommand({ ConfigurationRecorderName: 'default' }));
    expect((await readRecording(emu.clients())).recorders).toEqual([]);

    const [record] = await h.deliver(configEvent('DeleteConfigurationRecorder', { configurationRecorderName: 'default' }));
    await h.deliver(configEvent('DeleteConfigurationRecorder', { configurationRecorderName: 'default' }));

    expect(await readRecording(emu.clients())).toEqual(WANTED);
    expect(record).toMatchObject({
      outcome: 'remediated',
      verified: true,
      drift: [{ property: 'recorderExists', observed: false, desired: true }],
      actions: [{ api: 'config:PutConfigurationRecorder' }, { api: 'config:StartConfigurationRecorder' }],
    });
    expect((await h.audit.drain()).map((r) => r.outcome)).toEqual(['remediated', 'compliant']);
  });

  it('PutConfigurationRecorder narrowing to a list → the policy group is written back, still recording', async () => {
    const recordingGroup = { allSupported: false, includeGlobalResourceTypes: false, resourceTypes: ['AWS::EC2::Instance'] };
    await client().send(
      new PutConfigurationRecorderCommand({
        ConfigurationRecorder: { name: 'default', roleARN: RECORDER_ROLE, recordingGroup: recordingGroup as never },
      }),
    );

    await h.deliver(
      configEvent('PutConfigurationRecorder', {
        configurationRecorder: { name: 'default', roleARN: RECORDER_ROLE, recordingGroup },
      }),
    );

    expect(await readRecording(emu.clients())).toEqual(WANTED);
    const [record] = await h.audit.drain();
    expect(record).toMatchObject({
      outcome: 'remediated',
      drift: [
        {
          property: 'recordingGroup',
          observed: { allSupported: false, resourceTypes: ['AWS::EC2::Instance'] },
          desired: { allSupported: true, includeGlobalResourceTypes: true },
        },
      ],
    });
    expect(h.writes()).toEqual(['config:PutConfigurationRecorder']);
  });

  it('PutConfigurationRecorder dropping the global types in their home region, and swapping the role → both restored', async () => {
    const other = `arn:aws:iam::${ACCOUNT}:role/read-nothing`;
    await client().send(
      new PutConfigurationRecorderCommand({
        ConfigurationRecorder: {
          name: 'default',
          roleARN: other,
          recordingGroup: { allSupported: true, includeGlobalResourceTypes: false },
        },
      }),
    );
    const [record] = await h.deliver(
      configEvent('PutConfigurationRecorder', {
        configurationRecorder: {
          name: 'default',
          roleARN: other,
          recordingGroup: { allSupported: true, includeGlobalResourceTypes: false },
        },
      }),
    );
    expect(record?.drift.map((d) => d.property)).toEqual(['recordingGroup', 'roleArn']);
    expect(record?.outcome).toBe('remediated');
    expect(await readRecording(emu.clients())).toEqual(WANTED);
  });

  it('PutDeliveryChannel moving delivery to another bucket → delivery restored with prefix and frequency', async () => {
    const deliveryChannel = { name: 'default', s3BucketName: 'quiet-place' };
    await client().send(new PutDeliveryChannelCommand({ DeliveryChannel: deliveryChannel }));

    await h.deliver(configEvent('PutDeliveryChannel', { deliveryChannel }));

    expect(await readRecording(emu.clients())).toEqual(WANTED);
    const [record] = await h.audit.drain();
    expect(record).toMatchObject({
      outcome: 'remediated',
      verified: true,
      drift: [
        { property: 'deliveryChannel.s3BucketName', observed: 'quiet-place', desired: CONFIG_BUCKET },
        { property: 'deliveryChannel.s3KeyPrefix', observed: null, desired: 'config' },
        { property: 'deliveryChannel.deliveryFrequency', observed: null, desired: 'Six_Hours' },
      ],
    });
    expect(h.writes()).toEqual(['config:PutDeliveryChannel']);
  });

  it('a Config compliance change for the recorder reconciles the region', async () => {
    await client().send(new StopConfigurationRecorderCommand({ ConfigurationRecorderName: 'default' }));
    await h.deliver(
      configComplianceEvent({
        account: ACCOUNT,
        region: REGION,
        resourceType: TYPE,
        resourceId: 'default',
        configRuleName: 'logwarden-config-recorder',
      }),
    );
    expect(await readRecording(emu.clients())).toEqual(WANTED);
    const [record] = await h.audit.drain();
    expect(record).toMatchObject({ outcome: 'remediated', trigger: { type: 'config' }, resource: { id: 'default' } });
  });

  it('the sweep reports the region compliant with three reads and no write', async () => {
    const records = await h.deliver(sweepEvent({ account: ACCOUNT, region: REGION }));
    expect(records.map((r) => [r.resource.id, r.outcome])).toEqual([['default', 'compliant']]);
    expect([...configCalls(h)].sort()).toEqual([
      'config:DescribeConfigurationRecorderStatus',
      'config:DescribeConfigurationRecorders',
      'config:DescribeDeliveryChannels',
    ]);
  });

  it("logwarden's own call echoed back, a failed call, a service-linked recorder and StartConfigurationRecorder are ignored", async () => {
    const own = { kind: 'assumed-role' as const, account: ACCOUNT, roleName: 'logwarden-controller', path: '/logwarden/' };
    const records = await h.deliver(
      configEvent('StopConfigurationRecorder', { configurationRecorderName: 'default' }, { identity: own }),
      configEvent('DeleteDeliveryChannel', null, { errorCode: 'LastDeliveryChannelDeleteFailedException' }),
      configEvent('StopConfigurationRecorder', { configurationRecorderName: 'AWSConfigurationRecorderForSecurityHub' }),
      configEvent('StartConfigurationRecorder', { configurationRecorderName: 'default' }),
    );
    expect(records.map((r) => [r.outcome, r.reason])).toEqual([
      ['ignored', `made by logwarden's own role arn:aws:iam::${ACCOUNT}:role/logwarden/logwarden-controller`],
      ['ignored', 'the DeleteDeliveryChannel call failed (LastDeliveryChannelDeleteFailedException); nothing changed'],
      [
        'ignored',
        'AWSConfigurationRecorderForSecurityHub is a service-linked recorder: the AWS service that owns it manages it, not the account',
      ],
      ['ignored', 'no guardrail reacts to aws.config StartConfigurationRecorder'],
    ]);
    expect(h.calls).toEqual(['events:PutEvents']);
  });

  it('API calls per remediation: stop 5, channel deleted 7, recorder deleted 7, narrowed 5, moved 5 (+1 audit each)', async () => {
    const stopped = () => client().send(new StopConfigurationRecorderCommand({ ConfigurationRecorderName: 'default' }));
    const reads = ['DescribeConfigurationRecorders', 'DescribeConfigurationRecorderStatus', 'DescribeDeliveryChannels'].map(
      (a) => `config:${a}`,
    );
    const measure = async (event: unknown) => {
      h.calls.length = 0;
      await h.deliver(event);
      expect(h.calls.filter((c) => c === 'events:PutEvents')).toHaveLength(1);
      const calls = configCalls(h);
      // The three reads of the decision run in parallel: their order is not fixed.
      expect([...calls.slice(0, 3)].sort()).toEqual([...reads].sort());
      return calls.slice(3);
    };
    await stopped();
    expect(await measure(configEvent('StopConfigurationRecorder', { configurationRecorderName: 'default' }))).toEqual([
      'config:StartConfigurationRecorder',
      'config:DescribeConfigurationRecorderStatus',
    ]);
    await stopped();
    await client().send(new DeleteDeliveryChannelCommand({ DeliveryChannelName: 'default' }));
    expect(await measure(configEvent('DeleteDeliveryChannel', { deliveryChannelName: 'default' }))).toEqual([
      'config:PutDeliveryChannel',
      'config:StartConfigurationRecorder',
      'config:DescribeDeliveryChannels',
      'config:DescribeConfigurationRecorderStatus',
    ]);
    await client().send(new DeleteConfigurationRecorderCommand({ ConfigurationRecorderName: 'default' }));
    expect(await measure(configEvent('DeleteConfigurationRecorder', { configurationRecorderName: 'default' }))).toEqual([
      'config:PutConfigurationRecorder',
      'config:StartConfigurationRecorder',
      'config:DescribeConfigurationRecorders',
      'config:DescribeConfigurationRecorderStatus',
    ]);
    const narrow = { allSupported: false, includeGlobalResourceTypes: false, resourceTypes: ['AWS::EC2::Instance'] };
    await client().send(
      new PutConfigurationRecorderCommand({
        ConfigurationRecorder: { name: 'default', roleARN: RECORDER_ROLE, recordingGroup: narrow as never },
      }),
    );
    expect(
      await measure(
        configEvent('PutConfigurationRecorder', { configurationRecorder: { name: 'default', recordingGroup: narrow } }),
      ),
    ).toEqual(['config:PutConfigurationRecorder', 'config:DescribeConfigurationRecorders']);
    await client().send(new PutDeliveryChannelCommand({ DeliveryChannel: { name: 'default', s3BucketName: 'quiet-place' } }));
    expect(
      await measure(configEvent('PutDeliveryChannel', { deliveryChannel: { name: 'default', s3BucketName: 'quiet-place' } })),
    ).toEqual(['config:PutDeliveryChannel', 'config:DescribeDeliveryChannels']);
    expect(await readRecording(emu.clients())).toEqual(WANTED);
  });

  it('every API call made is among the declared IAM actions', async () => {
    await client().send(new StopConfigurationRecorderCommand({ ConfigurationRecorderName: 'default' }));
    await client().send(new DeleteDeliveryChannelCommand({ DeliveryChannelName: 'default' }));
    await client().send(new DeleteConfigurationRecorderCommand({ ConfigurationRecorderName: 'default' }));
    await h.deliver(configEvent('DeleteConfigurationRecorder', { configurationRecorderName: 'default' }));
    await h.deliver(sweepEvent({ account: ACCOUNT, region: REGION }));
    const calls = configCalls(h);
    expect(new Set(calls)).toEqual(new Set(configRecorder.iamActions));
    for (const call of calls) expect(configRecorder.iamActions).toContain(call);
  });
});

describe('config-recorder guardrail: adoption, modes, exemptions, regions', () => {
  it('a hand-made recorder under another name is adopted and fixed, never a second one', async () => {
    await handMadeRecorder(emu.clients(), { name: 'corp-recorder', types: ['AWS::EC2::Instance'], bucket: null });
    const h = await harness(emu, [configRecorder], { 'config-recorder': recorderPolicy() });
    const [record] = await h.deliver(
      configEvent('PutConfigurationRecorder', { configurationRecorder: { name: 'corp-recorder' } }),
    );
    expect(record).toMatchObject({ outcome: 'remediated', resource: { id: 'default' } });
    expect(record?.drift.map((d) => d.property)).toEqual(['recordingGroup', 'recording', 'deliveryChannel']);
    const state = await readRecording(emu.clients());
    expect(state.recorders).toEqual([{ ...WANTED.recorders[0], name: 'corp-recorder' }]);
    expect(state.channels).toEqual(WANTED.channels);
  });

  it('notify mode: a stopped recorder is reported, not started', async () => {
    await handMadeRecorder(emu.clients(), { start: false });
    const h = await harness(emu, [configRecorder], { 'config-recorder': recorderPolicy({ mode: 'notify' }) });
    const [record] = await h.deliver(configEvent('StopConfigurationRecorder', { configurationRecorderName: 'default' }));
    expect(record).toMatchObject({
      outcome: 'drift-detected',
      mode: 'notify',
      drift: [{ property: 'recording', observed: false, desired: true }],
      actions: [],
    });
    expect(record?.reason).toContain('would run: config:StartConfigurationRecorder');
    expect((await readRecording(emu.clients())).recorders[0]?.recording).toBe(false);
    expect(h.writes()).toEqual([]);
    expect((await h.audit.drain())[0]?.outcome).toBe('drift-detected');
  });

  it('a policy exemption leaves the recorder stopped and reported exempt; past its expiry it is started', async () => {
    await handMadeRecorder(emu.clients(), { start: false });
    const exemptions = [{ ...exemptionOf('config-recorder', 'default', 60), regions: [REGION] }];
    const h = await harness(emu, [configRecorder], { 'config-recorder': recorderPolicy() }, { exemptions });
    const event = configEvent('StopConfigurationRecorder', { configurationRecorderName: 'default' });
    const [record] = await h.deliver(event);
    expect(record).toMatchObject({
      outcome: 'exempt',
      drift: [{ property: 'recording', observed: false, desired: true }],
      exemption: { ticket: 'CHG-42' },
    });
    expect(h.writes()).toEqual([]);
    expect((await readRecording(emu.clients())).recorders[0]?.recording).toBe(false);

    const later = controllerOn(
      emu,
      [configRecorder],
      { 'config-recorder': recorderPolicy() },
      { exemptions, now: daysLater(61) },
    );
    const [expired] = await later.handleEvent(event);
    expect(expired?.outcome).toBe('remediated');
    expect(expired?.reason).toMatch(/policy exemption expired on /);
    expect((await readRecording(emu.clients())).recorders[0]?.recording).toBe(true);
  });

  it('a sweep of two regions: the home region records the global types, the other does not', async () => {
    const h = await harness(
      emu,
      [configRecorder],
      { 'config-recorder': recorderPolicy() },
      { controller: { regions: [REGION, OTHER_REGION] } },
    );
    const records = await h.runtime.controller.sweep({
      trigger: { type: 'cli', eventId: null, eventName: 'scan', actor: 'test' },
    });
    expect(records.map((r) => [r.region, r.outcome])).toEqual([
      [REGION, 'remediated'],
      [OTHER_REGION, 'remediated'],
    ]);
    expect((await readRecording(emu.clients(), REGION)).recorders[0]?.includeGlobalResourceTypes).toBe(true);
    expect((await readRecording(emu.clients(), OTHER_REGION)).recorders[0]).toMatchObject({
      allSupported: true,
      includeGlobalResourceTypes: false,
      recording: true,
    });
  });

  it('outside the home region, a recorder that records the global types too is set to record them only at home', async () => {
    await handMadeRecorder(emu.clients(), { region: OTHER_REGION, start: true });
    const h = await harness(
      emu,
      [configRecorder],
      { 'config-recorder': recorderPolicy() },
      { controller: { regions: [REGION, OTHER_REGION] } },
    );
    const [record] = await h.deliver(
      configEvent('PutConfigurationRecorder', { configurationRecorder: { name: 'default' } }, { region: OTHER_REGION }),
    );
    expect(record).toMatchObject({ outcome: 'remediated', region: OTHER_REGION });
    expect(record?.drift.map((d) => d.property)).toEqual(['globalResourceTypes']);
    expect((await readRecording(emu.clients(), OTHER_REGION)).recorders[0]?.includeGlobalResourceTypes).toBe(false);
  });

  it('a recorder event for a region outside the policy is ignored with the reason', async () => {
    const limited = await harness(
      emu,
      [configRecorder],
      { 'config-recorder': recorderPolicy({ regions: [REGION] }) },
      { controller: { regions: [REGION, OTHER_REGION] } },
    );
    const stop = (region: string) =>
      configEvent('StopConfigurationRecorder', { configurationRecorderName: 'default' }, { region });
    const [ignored] = await limited.deliver(stop(OTHER_REGION));
    expect(ignored).toMatchObject({
      outcome: 'ignored',
      reason: `the configuration recorder is not governed in ${OTHER_REGION} (not in the policy's config-recorder.regions)`,
    });
    // The core's filter, before the guardrail: a region the controller does not govern at all.
    const [notGoverned] = await limited.deliver(stop('ap-south-1'));
    expect(notGoverned).toMatchObject({ outcome: 'ignored', reason: 'region ap-south-1 is not governed by the policy' });
    expect(limited.calls).toEqual(['events:PutEvents', 'events:PutEvents']);
  });
});
