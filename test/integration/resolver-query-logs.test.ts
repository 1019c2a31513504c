import { CreateTagsCommand, DeleteVpcCommand, EC2Client } from '@aws-sdk/client-ec2';
import { beforeEach, describe, expect, it } from 'vitest';
import { configComplianceEvent, sweepEvent } from '../../cli/events.js';
import { parsePolicy } from '../../controllers/core/policy.js';
import { createRuntime } from '../../controllers/core/runtime.js';
import { creatorRequestId } from '../../controllers/resolver-query-logs/diff.js';
import { resolverQueryLogs } from '../../controllers/resolver-query-logs/index.js';
import { ACCOUNT, OWN_ROLE_ARN, quietLogger, REGION, useEmulator } from '../helpers/emulator.js';
import { controllerOn, type Harness, harness } from '../helpers/harness.js';
import { daysLater, exemptionOf, policyWith, UNAPPROVED } from '../helpers/policy.js';
import {
  allVpcIds,
  associate,
  associationsOf,
  configs,
  createVpc,
  createVpcEvent,
  DNS_BUCKET_ARN,
  deleteConfigEvent,
  disassociateEvent,
  loggedTo,
  queryLogsPolicy,
  userConfig,
} from '../helpers/resolver-query-logs.js';

// Emulator gaps (moto 5.2.5), each covered in test/unit/resolver-query-logs-aws.test.ts with aws-sdk-client-mock:
// - DisassociateResolverQueryLogConfig and DeleteResolverQueryLogConfig are not implemented (moto answers
//   an HTML 500 page). The tests of those events here cannot make the tampering call: they deliver the
//   event on the state the call leaves behind (a VPC without an association, a region without the
//   configuration), which is what the guardrail re-reads anyway.
// - ListTagsForResource refuses query-log-config ARNs (ResourceNotFoundException "Resolver endpoint ...
//   does not exist"), so the logwarden:managed tag set on creation cannot be read back here; logwarden
//   finds its configuration by its CreatorRequestId, which the listing carries.
// - moto answers a repeated CreatorRequestId with ResourceExistsException while that configuration
//   exists (it cannot be deleted on moto, so the spent-token path is unit-tested).

const emu = useEmulator();
const clients = () => emu.clients();
const RUNBOOK = 'runbooks/resolver-query-logs.md';
const NAME = 'resolver-query-logs';
const TOKEN = creatorRequestId(ACCOUNT, REGION, DNS_BUCKET_ARN);

function setupRuntime() {
  return createRuntime({
    guardrails: [resolverQueryLogs],
    policy: parsePolicy(policyWith({ [NAME]: queryLogsPolicy() }), [resolverQueryLogs]),
    account: ACCOUNT,
    region: REGION,
    logger: quietLogger(),
    clients: emu.clients(),
  });
}

const setup = (section = queryLogsPolicy(), opts: { exemptions?: unknown[] } = {}): Promise<Harness> =>
  harness(emu, [resolverQueryLogs], { [NAME]: section }, { exemptions: opts.exemptions });

const ownConfigs = async () => (await configs(clients())).filter((c) => c.CreatorRequestId?.startsWith('logwarden-'));
const reads = (h: Harness) => h.calls.filter((c) => c !== 'events:PutEvents');

describe('resolver-query-logs guardrail on the emulator: events', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await setup();
  });

  it('new VPC (CreateVpc), no configuration yet → logwarden creates its configuration, associates the VPC, verifies, one record on the bus', async () => {
    const vpcId = await createVpc(clients());
    expect(await associationsOf(clients(), vpcId)).toEqual([]);

    const records = await h.deliver(createVpcEvent(vpcId));

    const [config] = await ownConfigs();
    expect(config).toMatchObject({
      Name: 'logwarden-query-logs',
      DestinationArn: DNS_BUCKET_ARN,
      CreatorRequestId: TOKEN,
      OwnerId: ACCOUNT,
      Status: 'CREATED',
    });
    expect(await loggedTo(clients(), vpcId)).toEqual([config?.Id]);
    const onBus = await h.audit.drain();
    expect(onBus).toHaveLength(1);
    expect(onBus[0]).toMatchObject({
      guardrail: NAME,
      outcome: 'remediated',
      verified: true,
      resource: { type: 'AWS::EC2::VPC', id: vpcId, arn: `arn:aws:ec2:${REGION}:${ACCOUNT}:vpc/${vpcId}` },
      trigger: { type: 'cloudtrail', eventName: 'CreateVpc', actor: `arn:aws:iam::${ACCOUNT}:user/mallory` },
      drift: [
        {
          property: 'queryLogging',
          observed: 'no query logging configuration',
          desired: { destinationArn: DNS_BUCKET_ARN, status: 'ACTIVE' },
        },
      ],
      actions: [
        { api: 'route53resolver:CreateResolverQueryLogConfig', ok: true, error: null },
        { api: 'route53resolver:AssociateResolverQueryLogConfig', ok: true, error: null },
      ],
      runbook: RUNBOOK,
    });
    expect(onBus[0]?.id).toBe(records[0]?.id);
    // Calls per remediation: observe (DescribeVpcs + the VPC's associations + the region's configs), 2 writes,
    // verify (the VPC's associations only: the new configuration is known to the invocation).
    expect(reads(h).sort()).toEqual(
      [
        'ec2:DescribeVpcs',
        'route53resolver:ListResolverQueryLogConfigAssociations',
        'route53resolver:ListResolverQueryLogConfigs',
        'route53resolver:CreateResolverQueryLogConfig',
        'route53resolver:AssociateResolverQueryLogConfig',
        'route53resolver:ListResolverQueryLogConfigAssociations',
      ].sort(),
    );
  });

  it('a second new VPC reuses logwarden configuration: one Associate, 5 calls in all', async () => {
    await h.deliver(createVpcEvent(await createVpc(clients())));
    h.calls.length = 0;
    const vpcId = await createVpc(clients(), '10.1.0.0/16');

    const [record] = await h.deliver(createVpcEvent(vpcId));

    expect(record?.outcome).toBe('remediated');
    expect(h.writes()).toEqual(['route53resolver:AssociateResolverQueryLogConfig']);
    expect(reads(h)).toHaveLength(5);
    expect(await ownConfigs()).toHaveLength(1);
    expect(await loggedTo(clients(), vpcId)).toHaveLength(1);
  });

  it('CreateDefaultVpc is handled like CreateVpc', async () => {
    const vpcId = await createVpc(clients(), '172.31.0.0/16');
    const [record] = await h.deliver(createVpcEvent(vpcId, { eventName: 'CreateDefaultVpc' }));
    expect(record).toMatchObject({ outcome: 'remediated', trigger: { eventName: 'CreateDefaultVpc' } });
    expect(await loggedTo(clients(), vpcId)).toHaveLength(1);
  });

  it('a look-alike configuration (logwarden name, attacker bucket) does not count: reported, kept, logwarden association added', async () => {
    const rogue = await userConfig(clients(), 'arn:aws:s3:::mallory-dns-exfil', 'logwarden-query-logs');
    const vpcId = await createVpc(clients());
    await associate(clients(), rogue, vpcId);

    const [record] = await h.deliver(createVpcEvent(vpcId));

    expect(record?.outcome).toBe('remediated');
    expect(record?.drift).toEqual([
      {
        property: 'queryLogging',
        observed: [{ configId: rogue, status: 'ACTIVE', destinationArn: 'arn:aws:s3:::mallory-dns-exfil' }],
        desired: { destinationArn: DNS_BUCKET_ARN, status: 'ACTIVE' },
      },
    ]);
    const after = (await associationsOf(clients(), vpcId)).map((a) => a.ResolverQueryLogConfigId);
    expect(after).toHaveLength(2);
    expect(after).toContain(rogue);
    expect(await loggedTo(clients(), vpcId)).toHaveLength(1);
  });

  it('a VPC associated with a configuration someone else made to the policy destination is compliant (any owner counts)', async () => {
    const theirs = await userConfig(clients(), DNS_BUCKET_ARN);
    const vpcId = await createVpc(clients());
    await associate(clients(), theirs, vpcId);

    const [record] = await h.deliver(createVpcEvent(vpcId));

    expect(record).toMatchObject({ outcome: 'compliant', actions: [] });
    expect(await ownConfigs()).toEqual([]);
  });

  it('the same CreateVpc event ×10 concurrently → one logwarden configuration, one association, no failure', async () => {
    const vpcId = await createVpc(clients());
    const event = createVpcEvent(vpcId);

    // Ten controllers, each with its own clients, as ten Lambda containers would: the CreatorRequestId
    // makes one configuration (moto answers the others ResourceExistsException, as Resolver does).
    const runs = await Promise.all(Array.from({ length: 10 }, async () => setupRuntime().controller.handleEvent(event)));

    const records = runs.flat();
    expect(records).toHaveLength(10);
    expect(records.filter((r) => r.outcome === 'failed')).toEqual([]);
    expect(records.filter((r) => r.outcome === 'remediated').length).toBeGreaterThanOrEqual(1);
    expect(await ownConfigs()).toHaveLength(1);
    expect(await associationsOf(clients(), vpcId)).toHaveLength(1);
  });

  it('DisassociateResolverQueryLogConfig → the VPC named by resourceId is associated again', async () => {
    // moto cannot disassociate: the VPC is left in the state the call leaves (no association).
    await h.deliver(createVpcEvent(await createVpc(clients())));
    const [config] = await ownConfigs();
    const vpcId = await createVpc(clients(), '10.1.0.0/16');
    await h.audit.drain();

    const [record] = await h.deliver(disassociateEvent(config?.Id as string, vpcId));

    expect(record).toMatchObject({
      outcome: 'remediated',
      resource: { id: vpcId },
      trigger: { eventName: 'DisassociateResolverQueryLogConfig' },
    });
    expect(await loggedTo(clients(), vpcId)).toEqual([config?.Id]);
    expect((await h.audit.drain()).map((r) => r.outcome)).toEqual(['remediated']);
  });

  it('DeleteResolverQueryLogConfig of logwarden configuration → one region listing, every VPC left unlogged is associated with a new configuration', async () => {
    // moto cannot delete a configuration: the region is left as the deletion leaves it (no logwarden
    // configuration, no associations to it) and the event names a configuration that is gone.
    const vpcs = [await createVpc(clients()), await createVpc(clients(), '10.1.0.0/16')];
    const defaults = (await allVpcIds(clients())).filter((id) => !vpcs.includes(id));

    const records = await h.deliver(deleteConfigEvent('rslvr-qlc-0a1b2c3d4e5f67890'));

    expect(records.map((r) => [r.resource.id, r.outcome]).sort()).toEqual(
      [...vpcs, ...defaults].map((id) => [id, 'remediated']).sort(),
    );
    expect(await ownConfigs()).toHaveLength(1);
    for (const id of [...vpcs, ...defaults]) expect(await loggedTo(clients(), id)).toHaveLength(1);
    // 3 listings (their states serve the first observations), 1 Create, per VPC Associate + 1 verification read.
    const n = vpcs.length + defaults.length;
    expect(reads(h)).toHaveLength(3 + 1 + n * 2);
  });

  it('an exemption tag alone never exempts: the VPC is associated and the request is noted', async () => {
    const vpcId = await createVpc(clients());
    const tags = [{ Key: 'logwarden:exempt', Value: 'lab VPC, ticket SEC-42' }];
    await emu
      .clients()
      .get(EC2Client, REGION)
      .send(new CreateTagsCommand({ Resources: [vpcId], Tags: tags }));
    const [record] = await h.deliver(createVpcEvent(vpcId));
    expect(record?.outcome).toBe('remediated');
    expect(record?.reason).toMatch(UNAPPROVED);
  });

  it('a policy exemption leaves the VPC untouched and reported exempt; past its expiry it is associated', async () => {
    const vpcId = await createVpc(clients());
    const exemptions = [exemptionOf(NAME, `arn:aws:ec2:*:*:vpc/${vpcId}`, 5)];
    const exempted = controllerOn(emu, [resolverQueryLogs], { [NAME]: queryLogsPolicy() }, { exemptions });
    const [record] = await exempted.handleEvent(createVpcEvent(vpcId));
    expect(record).toMatchObject({ outcome: 'exempt', actions: [], exemption: { ticket: 'CHG-42' } });
    expect(record?.drift.map((d) => d.property)).toEqual(['queryLogging']);
    expect(await associationsOf(clients(), vpcId)).toEqual([]);

    const later = controllerOn(emu, [resolverQueryLogs], { [NAME]: queryLogsPolicy() }, { exemptions, now: daysLater(6) });
    const [expired] = await later.handleEvent(createVpcEvent(vpcId));
    expect(expired?.outcome).toBe('remediated');
    expect(expired?.reason).toMatch(/policy exemption expired on /);
    expect(await loggedTo(clients(), vpcId)).toHaveLength(1);
  });

  it('bad input ends in clear ignored records, never a crash', async () => {
    const gone = await createVpc(clients(), '10.9.0.0/16');
    await emu
      .clients()
      .get(EC2Client, REGION)
      .send(new DeleteVpcCommand({ VpcId: gone }));
    const records = await h.deliver(
      createVpcEvent('vpc-0aaaabbbbccccdddd', { errorCode: 'VpcLimitExceeded' }),
      createVpcEvent(gone),
      createVpcEvent('vpc-00000000', {
        identity: { kind: 'assumed-role', account: ACCOUNT, roleName: 'logwarden-controller', path: '/logwarden/' },
      }),
      disassociateEvent('rslvr-qlc-0a1b2c3d4e5f67890', 'subnet-0123456789abcdef0'),
      deleteConfigEvent('not-a-config-id'),
      deleteConfigEvent('rslvr-qlc-0a1b2c3d4e5f67890', { ownerId: '210987654321' }),
    );
    expect(records.map((r) => [r.resource.id, r.outcome, r.reason])).toEqual([
      ['unknown', 'ignored', 'the CreateVpc call failed (VpcLimitExceeded); nothing changed'],
      [gone, 'ignored', `VPC ${gone} no longer exists (InvalidVpcID.NotFound); there is nothing to log`],
      ['unknown', 'ignored', `made by logwarden's own role ${OWN_ROLE_ARN}`],
      [
        'subnet-0123456789abcdef0',
        'ignored',
        'DisassociateResolverQueryLogConfig event with a malformed resourceId ("subnet-0123456789abcdef0")',
      ],
      ['unknown', 'ignored', 'DeleteResolverQueryLogConfig event with a malformed resolverQueryLogConfigId ("not-a-config-id")'],
      [
        'rslvr-qlc-0a1b2c3d4e5f67890',
        'ignored',
        "query logging configuration rslvr-qlc-0a1b2c3d4e5f67890 is owned by account 210987654321 (shared through RAM): only its owner can delete or repair it, and that account's logwarden governs it",
      ],
    ]);
    for (const r of records) expect(r.runbook).toBe(RUNBOOK);

    // Once every VPC is logged, a deletion leaves nothing to do: ignored with the reason.
    await h.deliver(sweepEvent({ account: ACCOUNT, region: REGION, guardrail: NAME }));
    const [ignored] = await h.deliver(deleteConfigEvent('rslvr-qlc-0a1b2c3d4e5f60000'));
    expect(ignored).toMatchObject({ outcome: 'ignored', resource: { id: 'rslvr-qlc-0a1b2c3d4e5f60000' } });
    expect(ignored?.reason).toContain(`no VPC in ${REGION} is left without query logging to ${DNS_BUCKET_ARN}`);
  });

  it('every API call made is among the declared IAM actions', async () => {
    const vpcId = await createVpc(clients());
    const rogue = await userConfig(clients(), 'arn:aws:s3:::elsewhere');
    await associate(clients(), rogue, await createVpc(clients(), '10.2.0.0/16'));
    await h.deliver(
      createVpcEvent(vpcId),
      disassociateEvent(rogue, vpcId),
      deleteConfigEvent('rslvr-qlc-0a1b2c3d4e5f67890'),
      sweepEvent({ account: ACCOUNT, region: REGION, guardrail: NAME }),
    );
    const made = reads(h);
    expect(made.length).toBeGreaterThan(10);
    for (const call of made) expect(resolverQueryLogs.iamActions).toContain(call);
  });
});

describe('resolver-query-logs guardrail on the emulator: modes, destinations and the sweep', () => {
  it('notify mode changes nothing and reports drift-detected', async () => {
    const h = await setup(queryLogsPolicy({ mode: 'notify' }));
    const vpcId = await createVpc(clients());
    const [record] = await h.deliver(createVpcEvent(vpcId));
    expect(record).toMatchObject({ outcome: 'drift-detected', mode: 'notify', actions: [] });
    expect(record?.reason).toContain(
      'would run: route53resolver:CreateResolverQueryLogConfig, route53resolver:AssociateResolverQueryLogConfig',
    );
    expect(h.writes()).toEqual([]);
    expect(await configs(clients())).toEqual([]);
  });

  it('a Config compliance change reconciles the VPC it names', async () => {
    const h = await setup();
    const vpcId = await createVpc(clients());
    const [record] = await h.deliver(
      configComplianceEvent({
        account: ACCOUNT,
        region: REGION,
        resourceType: 'AWS::EC2::VPC',
        resourceId: vpcId,
        configRuleName: `logwarden-${NAME}`,
      }),
    );
    expect(record).toMatchObject({ outcome: 'remediated', trigger: { type: 'config' } });
    expect(await loggedTo(clients(), vpcId)).toHaveLength(1);
  });

  it('Firehose and CloudWatch Logs destinations with {account}/{region} templates: the configuration delivers to the filled ARN', async () => {
    const stream = `arn:aws:firehose:${REGION}:${ACCOUNT}:deliverystream/dns-logs-${REGION}`;
    const h = await setup(
      queryLogsPolicy({
        destination: {
          type: 'firehose',
          deliveryStreamArn: 'arn:aws:firehose:{region}:{account}:deliverystream/dns-logs-{region}',
        },
        configName: 'dns-to-firehose',
      }),
    );
    const vpcId = await createVpc(clients());
    const [record] = await h.deliver(createVpcEvent(vpcId));
    expect(record?.outcome).toBe('remediated');
    expect((await configs(clients()))[0]).toMatchObject({ Name: 'dns-to-firehose', DestinationArn: stream });
    expect(await loggedTo(clients(), vpcId, stream)).toHaveLength(1);
    // A second delivery is a no-op.
    const [again] = await h.deliver(createVpcEvent(vpcId));
    expect(again?.outcome).toBe('compliant');

    const group = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/dns/query-logs`;
    const toGroup = controllerOn(emu, [resolverQueryLogs], {
      [NAME]: queryLogsPolicy({ destination: { type: 'cloud-watch-logs', logGroupArn: group } }),
    });
    const [toLogs] = await toGroup.handleEvent(createVpcEvent(vpcId));
    expect(toLogs?.outcome).toBe('remediated');
    expect(await loggedTo(clients(), vpcId, group)).toHaveLength(1);
  });

  it('the sweep fixes every unlogged VPC with three listings, one Create, leaves logged and exempt ones alone', async () => {
    const bare = [
      await createVpc(clients(), '10.1.0.0/16'),
      await createVpc(clients(), '10.2.0.0/16'),
      await createVpc(clients(), '10.3.0.0/16'),
    ];
    const logged = await createVpc(clients(), '10.4.0.0/16');
    await associate(clients(), await userConfig(clients(), DNS_BUCKET_ARN), logged);
    const elsewhere = await createVpc(clients(), '10.5.0.0/16');
    await associate(clients(), await userConfig(clients(), 'arn:aws:s3:::team-bucket', 'team'), elsewhere);
    const exempt = await createVpc(clients(), '10.6.0.0/16');
    const h = await setup(queryLogsPolicy(), { exemptions: [exemptionOf(NAME, exempt)] });
    const all = await allVpcIds(clients());
    const defaults = all.filter((id) => ![...bare, logged, elsewhere, exempt].includes(id));
    expect(defaults).toHaveLength(1);

    const records = await h.deliver(sweepEvent({ account: ACCOUNT, region: REGION, guardrail: NAME }));

    const outcome = Object.fromEntries(records.map((r) => [r.resource.id, r.outcome]));
    expect(outcome).toEqual({
      ...Object.fromEntries([...bare, elsewhere, ...defaults].map((id) => [id, 'remediated'])),
      [logged]: 'compliant',
      [exempt]: 'exempt',
    });
    for (const id of [...bare, elsewhere, ...defaults, logged]) expect(await loggedTo(clients(), id)).toHaveLength(1);
    expect(await associationsOf(clients(), exempt)).toEqual([]);
    expect(await ownConfigs()).toHaveLength(1);
    const fixed = bare.length + 1 + defaults.length;
    const made = reads(h);
    // Three region listings; one CreateResolverQueryLogConfig shared by the sweep; per fixed VPC: Associate + 1 verification read.
    expect(made).toHaveLength(3 + 1 + fixed * 2);
    expect(made.filter((c) => c === 'route53resolver:CreateResolverQueryLogConfig')).toHaveLength(1);

    // A second sweep: everything logged, three calls in all.
    h.calls.length = 0;
    const again = await h.deliver(sweepEvent({ account: ACCOUNT, region: REGION, guardrail: NAME }));
    expect(again.filter((r) => r.outcome === 'compliant')).toHaveLength(all.length - 1);
    expect(reads(h).sort()).toEqual([
      'ec2:DescribeVpcs',
      'route53resolver:ListResolverQueryLogConfigAssociations',
      'route53resolver:ListResolverQueryLogConfigs',
    ]);
  });
});
