import { DeleteClusterCommand, EKSClient, UpdateClusterConfigCommand } from '@aws-sdk/client-eks';
import { describe, expect, it } from 'vitest';
import { configComplianceEvent, sweepEvent } from '../../cli/events.js';
import { eksControlPlaneLogs } from '../../controllers/eks-control-plane-logs/index.js';
import {
  arnOf,
  createCluster,
  createEvent,
  eksSection,
  enabledTypes,
  POLICY_TYPES,
  rawEvent,
  setLogging,
  tagCluster,
  updateEvent,
} from '../helpers/eks-control-plane-logs.js';
import { ACCOUNT, REGION, useEmulator } from '../helpers/emulator.js';
import { controllerOn, harness } from '../helpers/harness.js';
import { daysLater, exemptionOf, UNAPPROVED } from '../helpers/policy.js';

// Emulator (moto 5.2.5) behaviour, and where the rest is covered:
// - UpdateClusterConfig REPLACES the whole logging list, where AWS merges per type. Here the
//   tampering call therefore leaves only the types it names, all off, and the remediation (which
//   names only the missing types, relying on AWS's merge) is verified because every policy type was
//   missing. That a partial remediation keeps the other types, and never sends `enabled: false`, is
//   asserted against AWS's merge semantics in test/unit/eks-control-plane-logs-aws.test.ts.
// - Clusters are ACTIVE at once and forever: no CREATING, UPDATING, DELETING or FAILED status, and
//   UpdateClusterConfig never answers ResourceInUseException (mock tests).
// - UpdateClusterConfig answers the cluster instead of an `update`, and there is no DescribeUpdate:
//   the asynchronous verification (the update accepted, DescribeCluster not caught up yet) is in the
//   mock tests; here DescribeCluster shows the change at once.

const emu = useEmulator();
const CLUSTER = 'payments-prod';
const eksCalls = (calls: string[]) => calls.filter((c) => c !== 'events:PutEvents');
const setup = () => emu.clients();

async function compliantCluster(name = CLUSTER) {
  await createCluster(setup(), name, POLICY_TYPES);
}

describe('EKS control-plane logs guardrail on the emulator', () => {
  it('UpdateClusterConfig switching api and audit off → enabled again, verified, one record on the bus', async () => {
    await compliantCluster();
    const h = await harness(emu, [eksControlPlaneLogs], { 'eks-control-plane-logs': eksSection() });
    await setLogging(setup(), CLUSTER, ['api', 'audit'], false);
    expect(await enabledTypes(setup(), CLUSTER)).toEqual([]);

    const records = await h.deliver(updateEvent(CLUSTER, ['api', 'audit'], false));

    expect(await enabledTypes(setup(), CLUSTER)).toEqual([...POLICY_TYPES].sort());
    const onBus = await h.audit.drain();
    expect(onBus).toHaveLength(1);
    expect(onBus[0]).toMatchObject({
      guardrail: 'eks-control-plane-logs',
      outcome: 'remediated',
      verified: true,
      account: ACCOUNT,
      region: REGION,
      resource: { type: 'AWS::EKS::Cluster', id: CLUSTER, arn: arnOf(CLUSTER) },
      trigger: { type: 'cloudtrail', eventName: 'UpdateClusterConfig', actor: `arn:aws:iam::${ACCOUNT}:user/mallory` },
      // The emulator dropped authenticator too (it replaces the list): see the note at the top.
      drift: POLICY_TYPES.map((t) => ({ property: `logTypes.${t}`, observed: false, desired: true })),
      actions: [{ api: 'eks:UpdateClusterConfig', ok: true, error: null }],
      runbook: 'runbooks/eks-control-plane-logs.md',
    });
    expect(onBus[0]?.id).toBe(records[0]?.id);
    expect(eksCalls(h.calls)).toEqual(['eks:DescribeCluster', 'eks:UpdateClusterConfig', 'eks:DescribeCluster']);
  });

  it('the same event delivered twice → the second finds the cluster compliant; one write', async () => {
    await compliantCluster();
    const h = await harness(emu, [eksControlPlaneLogs], { 'eks-control-plane-logs': eksSection() });
    await setLogging(setup(), CLUSTER, ['audit'], false);
    const event = updateEvent(CLUSTER, ['audit'], false);

    const [first] = await h.deliver(event);
    const [second] = await h.deliver(event);

    expect([first?.outcome, second?.outcome]).toEqual(['remediated', 'compliant']);
    expect(h.writes()).toEqual(['eks:UpdateClusterConfig']);
    expect((await h.audit.drain()).map((r) => r.outcome)).toEqual(['remediated', 'compliant']);
  });

  it('CreateCluster without logging → the policy types enabled, only they', async () => {
    const h = await harness(emu, [eksControlPlaneLogs], { 'eks-control-plane-logs': eksSection() });
    await createCluster(setup(), 'batch-new');

    const [record] = await h.deliver(createEvent('batch-new'));

    expect(record).toMatchObject({ outcome: 'remediated', verified: true, resource: { id: 'batch-new' } });
    expect(await enabledTypes(setup(), 'batch-new')).toEqual(['api', 'audit', 'authenticator']);
    expect((await h.audit.drain())[0]).toMatchObject({ outcome: 'remediated', trigger: { eventName: 'CreateCluster' } });
  });

  it('the policy logTypes decide what is enabled: ["audit", "scheduler"] sends exactly those', async () => {
    const h = await harness(emu, [eksControlPlaneLogs], {
      'eks-control-plane-logs': eksSection({ logTypes: ['audit', 'scheduler'] }),
    });
    await createCluster(setup(), 'custom');

    const [record] = await h.deliver(createEvent('custom'));

    expect(record?.drift.map((d) => d.property)).toEqual(['logTypes.audit', 'logTypes.scheduler']);
    expect(await enabledTypes(setup(), 'custom')).toEqual(['audit', 'scheduler']);
  });

  it('extra enabled types are fine: a cluster exporting all five is compliant, nothing written', async () => {
    await createCluster(setup(), 'verbose', ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler']);
    const h = await harness(emu, [eksControlPlaneLogs], { 'eks-control-plane-logs': eksSection() });

    const [record] = await h.deliver(updateEvent('verbose', ['scheduler'], true));

    expect(record).toMatchObject({ outcome: 'compliant', drift: [], actions: [] });
    expect(h.writes()).toEqual([]);
    expect(await h.audit.drain()).toHaveLength(1);
  });

  it('an UpdateClusterConfig that only changes endpoint access is still re-read (never trusted): compliant', async () => {
    await compliantCluster();
    const h = await harness(emu, [eksControlPlaneLogs], { 'eks-control-plane-logs': eksSection() });
    const resourcesVpcConfig = { endpointPublicAccess: false, endpointPrivateAccess: true };
    await setup()
      .get(EKSClient, REGION)
      .send(new UpdateClusterConfigCommand({ name: CLUSTER, resourcesVpcConfig }));

    const [record] = await h.deliver(rawEvent('UpdateClusterConfig', { name: CLUSTER, resourcesVpcConfig }));

    expect(record).toMatchObject({ outcome: 'compliant', resource: { id: CLUSTER } });
    expect(eksCalls(h.calls)).toEqual(['eks:DescribeCluster']);
  });

  it('notify mode: the missing types are reported, nothing is written', async () => {
    await compliantCluster();
    const h = await harness(emu, [eksControlPlaneLogs], { 'eks-control-plane-logs': eksSection({ mode: 'notify' }) });
    await setLogging(setup(), CLUSTER, ['api', 'audit', 'authenticator'], false);

    const [record] = await h.deliver(updateEvent(CLUSTER, ['api', 'audit', 'authenticator'], false));

    expect(record).toMatchObject({ outcome: 'drift-detected', mode: 'notify', actions: [] });
    expect(record?.reason).toContain('would run: eks:UpdateClusterConfig');
    expect(await enabledTypes(setup(), CLUSTER)).toEqual([]);
    expect(h.writes()).toEqual([]);
    expect((await h.audit.drain())[0]?.outcome).toBe('drift-detected');
  });

  it('the sweep lists every cluster, fixes the one without logs, leaves the others; calls counted', async () => {
    await compliantCluster('a-compliant');
    await createCluster(setup(), 'b-silent');
    await createCluster(setup(), 'c-verbose', ['api', 'audit', 'authenticator', 'scheduler']);
    const h = await harness(emu, [eksControlPlaneLogs], { 'eks-control-plane-logs': eksSection() });

    const records = await h.deliver(sweepEvent({ account: ACCOUNT, region: REGION, guardrail: 'eks-control-plane-logs' }));

    expect(records.map((r) => [r.resource.id, r.outcome])).toEqual([
      ['a-compliant', 'compliant'],
      ['b-silent', 'remediated'],
      ['c-verbose', 'compliant'],
    ]);
    expect(await enabledTypes(setup(), 'b-silent')).toEqual(['api', 'audit', 'authenticator']);
    // One ListClusters page, one DescribeCluster per cluster (the listing's pre-read), the write and its verification.
    expect([...eksCalls(h.calls)].sort()).toEqual(
      [
        'eks:ListClusters',
        'eks:DescribeCluster',
        'eks:DescribeCluster',
        'eks:DescribeCluster',
        'eks:UpdateClusterConfig',
        'eks:DescribeCluster',
      ].sort(),
    );
    expect(await h.audit.drain()).toHaveLength(3);
  });

  it('a Config compliance change for the cluster reconciles it', async () => {
    await createCluster(setup(), CLUSTER);
    const h = await harness(emu, [eksControlPlaneLogs], { 'eks-control-plane-logs': eksSection() });

    await h.deliver(
      configComplianceEvent({
        account: ACCOUNT,
        region: REGION,
        resourceType: 'AWS::EKS::Cluster',
        resourceId: CLUSTER,
        configRuleName: 'eks-cluster-logging-enabled',
      }),
    );

    expect(await enabledTypes(setup(), CLUSTER)).toEqual(['api', 'audit', 'authenticator']);
    expect((await h.audit.drain())[0]).toMatchObject({
      outcome: 'remediated',
      trigger: { type: 'config' },
      resource: { id: CLUSTER },
    });
  });

  it('a policy exemption leaves the cluster as it is, reported exempt; past its expiry it is remediated', async () => {
    await createCluster(setup(), CLUSTER);
    const exemptions = [exemptionOf('eks-control-plane-logs', arnOf(CLUSTER), 30)];
    const h = await harness(emu, [eksControlPlaneLogs], { 'eks-control-plane-logs': eksSection() }, { exemptions });
    const event = createEvent(CLUSTER);

    const [record] = await h.deliver(event);

    expect(record).toMatchObject({ outcome: 'exempt', exemption: { ticket: 'CHG-42' } });
    expect(record?.drift).toHaveLength(3);
    expect(await enabledTypes(setup(), CLUSTER)).toEqual([]);
    expect(h.writes()).toEqual([]);
    expect((await h.audit.drain())[0]?.outcome).toBe('exempt');

    const later = controllerOn(
      emu,
      [eksControlPlaneLogs],
      { 'eks-control-plane-logs': eksSection() },
      {
        exemptions,
        now: daysLater(31),
      },
    );
    const [expired] = await later.handleEvent(event);
    expect(expired?.outcome).toBe('remediated');
    expect(expired?.reason).toMatch(/policy exemption expired on /);
  });

  it('an exemption tag on the cluster alone never exempts: logging is restored and the request noted', async () => {
    await createCluster(setup(), CLUSTER);
    await tagCluster(setup(), CLUSTER, { 'logwarden:exempt': 'cost', 'logwarden:exempt-until': '2999-12-31' });
    const h = await harness(emu, [eksControlPlaneLogs], { 'eks-control-plane-logs': eksSection() });

    const [record] = await h.deliver(createEvent(CLUSTER));

    expect(record?.outcome).toBe('remediated');
    expect(record?.reason).toMatch(UNAPPROVED);
    expect(await enabledTypes(setup(), CLUSTER)).toEqual(['api', 'audit', 'authenticator']);
  });

  it('a cluster deleted before the event is handled → ignored with the reason, nothing written', async () => {
    await createCluster(setup(), CLUSTER);
    await setup()
      .get(EKSClient, REGION)
      .send(new DeleteClusterCommand({ name: CLUSTER }));
    const h = await harness(emu, [eksControlPlaneLogs], { 'eks-control-plane-logs': eksSection() });

    const [record] = await h.deliver(createEvent(CLUSTER));

    expect(record).toMatchObject({ outcome: 'ignored', resource: { id: CLUSTER } });
    expect(record?.reason).toContain('does not exist (ResourceNotFoundException)');
    expect(h.writes()).toEqual([]);
  });

  it('bad input ends in clear ignored records: ungoverned region, malformed name, foreign ARN, own call, failed call', async () => {
    const h = await harness(emu, [eksControlPlaneLogs], { 'eks-control-plane-logs': eksSection() });
    const own = { kind: 'assumed-role' as const, account: ACCOUNT, roleName: 'logwarden-controller', path: '/logwarden/' };

    const records = await h.deliver(
      updateEvent(CLUSTER, ['api'], false, { region: 'ap-south-1' }),
      rawEvent('UpdateClusterConfig', { name: 42, logging: 'off' }),
      rawEvent('UpdateClusterConfig', { name: 'arn:aws:eks:us-east-1:999999999999:cluster/theirs' }),
      rawEvent('UpdateClusterConfig', { name: '../../etc' }),
      updateEvent(CLUSTER, ['api'], true, { identity: own }),
      rawEvent('UpdateClusterConfig', null, { errorCode: 'AccessDeniedException' }),
    );

    expect(records.map((r) => r.outcome)).toEqual(['ignored', 'ignored', 'ignored', 'ignored', 'ignored', 'ignored']);
    expect(records.map((r) => r.reason)).toEqual([
      expect.stringContaining('ap-south-1'),
      'UpdateClusterConfig event without a string requestParameters.name',
      'cluster theirs belongs to account 999999999999; it is governed in that account',
      '"../../etc" is not an EKS cluster name',
      `made by logwarden's own role arn:aws:iam::${ACCOUNT}:role/logwarden/logwarden-controller`,
      'the UpdateClusterConfig call failed (AccessDeniedException); nothing changed',
    ]);
    expect(h.calls).toEqual(['events:PutEvents']);
  });

  it('every API call made is among the declared IAM actions', async () => {
    await compliantCluster();
    await createCluster(setup(), 'other');
    const h = await harness(emu, [eksControlPlaneLogs], { 'eks-control-plane-logs': eksSection() });
    await setLogging(setup(), CLUSTER, ['api'], false);
    await h.deliver(updateEvent(CLUSTER, ['api'], false));
    await h.deliver(createEvent('other'));
    await h.deliver(sweepEvent({ account: ACCOUNT, region: REGION }));
    const controllerCalls = eksCalls(h.calls);
    expect(new Set(controllerCalls)).toEqual(new Set(['eks:ListClusters', 'eks:DescribeCluster', 'eks:UpdateClusterConfig']));
    for (const call of controllerCalls) expect(eksControlPlaneLogs.iamActions).toContain(call);
  });
});
