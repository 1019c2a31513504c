/**
 * The load-balancer-logs guardrail on the emulator (moto 5.2.5). Emulator gaps, covered with
 * aws-sdk-client-mock in test/unit/load-balancer-logs-aws.test.ts:
 * - every balancer's ARN says `loadbalancer/app/`, NLBs included (AWS: `net/`, `gwy/`), so the type
 *   always comes from DescribeLoadBalancers (which moto reports right);
 * - a listing of more than one page (400 balancers) is mocked rather than created here;
 * - ModifyLoadBalancerAttributes never tests the log bucket (AWS: InvalidConfigurationRequest
 *   "Access Denied for bucket"), DescribeTags answers empty tags for a deleted balancer (AWS:
 *   LoadBalancerNotFound), and nothing is ever throttled;
 * - TLS listeners need an ACM certificate moto knows; an IAM server certificate ARN passes unchecked,
 *   so the tests use one (a valid choice on AWS too).
 */
import { describe, expect, it } from 'vitest';
import { configComplianceEvent, sweepEvent } from '../../cli/events.js';
import { createAlb } from '../../controllers/load-balancer-logs/demo.js';
import { loadBalancerLogs } from '../../controllers/load-balancer-logs/index.js';
import { ACCOUNT, REGION, useEmulator } from '../helpers/emulator.js';
import { controllerOn, type Harness, harness } from '../helpers/harness.js';
import {
  addListener,
  alb,
  attributesOf,
  createListenerRecord,
  createLoadBalancerRecord,
  createLogBucket,
  ctxOf,
  deleteLb,
  LOG_BUCKET,
  lbEvent,
  lbSection,
  network,
  nlb,
  PREFIX,
  RUNBOOK,
  tagLb,
  tamper,
  wantedLogs,
} from '../helpers/load-balancer-logs.js';
import { daysLater, exemptionOf, UNAPPROVED } from '../helpers/policy.js';

const emu = useEmulator();
const TYPE = 'AWS::ElasticLoadBalancingV2::LoadBalancer';
const OFF = { 'access_logs.s3.enabled': 'false' };
const sweep = () => sweepEvent({ account: ACCOUNT, region: REGION, guardrail: 'load-balancer-logs' });
const reads = (h: Harness) => h.calls.filter((c) => c !== 'events:PutEvents');

/** The log bucket (the infrastructure's), a network, a compliant ALB, and a controller with a call recorder. */
async function setup(section = lbSection(), opts: Parameters<typeof harness>[3] = {}) {
  const c = emu.clients();
  await createLogBucket(c);
  const net = await network(c);
  const web = await alb(c, 'web', net.subnets, { logs: true });
  const h = await harness(emu, [loadBalancerLogs], { 'load-balancer-logs': section }, opts);
  return { h, c, net, web };
}

describe('load-balancer-logs guardrail on the emulator', () => {
  it('ALB access logs switched off → restored, verified, one record on the bus', async () => {
    const { h, c, web } = await setup();
    const event = await tamper(c, web, OFF);
    expect((await attributesOf(c, web))['access_logs.s3.enabled']).toBe('false');

    const records = await h.deliver(event);

    expect(await attributesOf(c, web)).toMatchObject(wantedLogs());
    const onBus = await h.audit.drain();
    expect(onBus).toHaveLength(1);
    expect(onBus[0]).toMatchObject({
      guardrail: 'load-balancer-logs',
      outcome: 'remediated',
      verified: true,
      account: ACCOUNT,
      region: REGION,
      resource: { type: TYPE, id: web, arn: web },
      trigger: { type: 'cloudtrail', eventName: 'ModifyLoadBalancerAttributes', actor: `arn:aws:iam::${ACCOUNT}:user/mallory` },
      drift: [{ property: 'accessLogsEnabled', observed: false, desired: true }],
      actions: [{ api: 'elasticloadbalancing:ModifyLoadBalancerAttributes', ok: true, error: null }],
      runbook: RUNBOOK,
    });
    expect(onBus[0]?.id).toBe(records[0]?.id);
    expect(h.writes()).toEqual(['elasticloadbalancing:ModifyLoadBalancerAttributes']);
    // Per remediation from an event: 3 reads, 2 log-bucket reads, 1 write, 1 read to verify (the demo's minimum is 3).
    expect(reads(h)).toEqual([
      'elasticloadbalancing:DescribeLoadBalancers',
      'elasticloadbalancing:DescribeLoadBalancerAttributes',
      'elasticloadbalancing:DescribeTags',
      's3:GetBucketLocation',
      's3:GetBucketPolicy',
      'elasticloadbalancing:ModifyLoadBalancerAttributes',
      'elasticloadbalancing:DescribeLoadBalancerAttributes',
    ]);
  });

  it('a new ALB (CreateLoadBalancer, ARN from responseElements.loadBalancers) → access logs on', async () => {
    const { h, c, net } = await setup();
    const lb = await createAlb(ctxOf(c), 'fresh', net.subnets);

    const [record] = await h.deliver(lbEvent('CreateLoadBalancer', createLoadBalancerRecord(lb, net.subnets)));

    expect(record).toMatchObject({ outcome: 'remediated', verified: true, resource: { id: lb.LoadBalancerArn } });
    expect(record?.drift.map((d) => d.property)).toEqual(['accessLogsEnabled', 'accessLogsBucket', 'accessLogsPrefix']);
    expect(await attributesOf(c, lb.LoadBalancerArn as string)).toMatchObject(wantedLogs());
  });

  it('logs moved to another bucket → moved back; connection logs too when the policy asks', async () => {
    const { h, c, web } = await setup(lbSection({ connectionLogs: true }));
    await createLogBucket(c, { bucket: 'elsewhere-logs', prefix: '' });
    const event = await tamper(c, web, { 'access_logs.s3.bucket': 'elsewhere-logs', 'access_logs.s3.prefix': 'x' });

    const [record] = await h.deliver(event);

    expect(record).toMatchObject({
      outcome: 'remediated',
      drift: [
        { property: 'accessLogsBucket', observed: 'elsewhere-logs', desired: LOG_BUCKET },
        { property: 'accessLogsPrefix', observed: 'x', desired: PREFIX },
        { property: 'connectionLogsEnabled', observed: false, desired: true },
        { property: 'connectionLogsBucket', observed: '', desired: LOG_BUCKET },
        { property: 'connectionLogsPrefix', observed: '', desired: PREFIX },
      ],
    });
    expect(await attributesOf(c, web)).toMatchObject({
      ...wantedLogs(),
      'connection_logs.s3.enabled': 'true',
      'connection_logs.s3.bucket': LOG_BUCKET,
      'connection_logs.s3.prefix': PREFIX,
    });
  });

  it('NLB with a TLS listener: access logs off → restored (DescribeListeners read); no connection logs for NLBs', async () => {
    const { h, c, net } = await setup(lbSection({ connectionLogs: true }));
    const tls = await nlb(c, 'tls', net, 'TLS');

    const [record] = await h.deliver(await tamper(c, tls, OFF));

    expect(record).toMatchObject({ outcome: 'remediated', verified: true });
    expect(record?.drift.map((d) => d.property)).toEqual(['accessLogsEnabled', 'accessLogsBucket', 'accessLogsPrefix']);
    expect(await attributesOf(c, tls)).toMatchObject(wantedLogs());
    expect(await attributesOf(c, tls)).not.toHaveProperty('connection_logs.s3.enabled');
    expect(h.calls).toContain('elasticloadbalancing:DescribeListeners');
  });

  it('NLB: a TCP listener is not governed; a TLS listener added later (CreateListener) makes it governed', async () => {
    const { h, c, net } = await setup();
    const tcp = await nlb(c, 'tcp', net, 'TCP');
    const configEvent = configComplianceEvent({
      account: ACCOUNT,
      region: REGION,
      resourceType: TYPE,
      resourceId: tcp,
      configRuleName: 'elb-logging-enabled',
    });

    const [before] = await h.deliver(configEvent);
    expect(before).toMatchObject({ outcome: 'ignored' });
    expect(before?.reason).toBe(
      'load balancer tcp is a Network Load Balancer without a TLS listener: only TLS listeners have access logs, it is not governed',
    );

    const listener = await addListener(ctxOf(c), tcp, net.vpcId, 'TLS', 8443);
    const [after] = await h.deliver(lbEvent('CreateListener', createListenerRecord(listener)));
    expect(after).toMatchObject({ outcome: 'remediated', resource: { id: tcp } });
    expect(await attributesOf(c, tcp)).toMatchObject(wantedLogs());
  });

  it('missing log bucket → failed naming the bucket and the runbook; nothing written; not retried', async () => {
    const c = emu.clients();
    const net = await network(c);
    const bare = await alb(c, 'bare', net.subnets);
    const h = await harness(emu, [loadBalancerLogs], { 'load-balancer-logs': lbSection() });

    const { records, error } = await h.deliverSettled(await tamper(c, bare, OFF));

    expect(error).toBeUndefined();
    expect(records[0]).toMatchObject({ outcome: 'failed', retryable: false, runbook: RUNBOOK, verified: null });
    expect(records[0]?.reason).toBe(
      `elasticloadbalancing:ModifyLoadBalancerAttributes failed: LogBucketMissing: log bucket ${LOG_BUCKET} does not exist; logwarden does not create or re-permission log buckets (the infrastructure owns them): see ${RUNBOOK}`,
    );
    expect(h.writes()).toEqual([]);
    expect((await attributesOf(c, bare))['access_logs.s3.enabled']).toBe('false');
    expect((await h.audit.drain()).map((r) => r.outcome)).toEqual(['failed']);
  });

  it('log bucket whose policy does not let ELB write → failed LogBucketNotPermitted; nothing written', async () => {
    const c = emu.clients();
    await createLogBucket(c, { permit: false });
    const net = await network(c);
    const bare = await alb(c, 'bare', net.subnets);
    const h = await harness(emu, [loadBalancerLogs], { 'load-balancer-logs': lbSection() });

    const [record] = await h.deliver(await tamper(c, bare, OFF));

    expect(record).toMatchObject({ outcome: 'failed', retryable: false });
    expect(record?.reason).toContain(
      `LogBucketNotPermitted: log bucket ${LOG_BUCKET} does not let logdelivery.elasticloadbalancing.amazonaws.com or arn:aws:iam::127311923021:root s3:PutObject arn:aws:s3:::${LOG_BUCKET}/lb/AWSLogs/${ACCOUNT}/* for load balancer bare (it has no bucket policy)`,
    );
    expect(record?.reason).toContain(RUNBOOK);
    expect(h.writes()).toEqual([]);
  });

  it('an exemption tag alone never exempts: logs are put back and the request noted', async () => {
    const { h, c, web } = await setup();
    await tagLb(c, web, { 'logwarden:exempt': 'CHG-7 vendor appliance' });

    const [record] = await h.deliver(await tamper(c, web, OFF));

    expect(record?.outcome).toBe('remediated');
    expect(record?.reason).toMatch(UNAPPROVED);
    expect(await attributesOf(c, web)).toMatchObject(wantedLogs());
  });

  it('a policy exemption leaves the balancer untouched and reported exempt; past its expiry logs are put back', async () => {
    const c = emu.clients();
    await createLogBucket(c);
    const net = await network(c);
    const web = await alb(c, 'web', net.subnets, { logs: true });
    const exemptions = [exemptionOf('load-balancer-logs', web, 10)];
    const h = await harness(emu, [loadBalancerLogs], { 'load-balancer-logs': lbSection() }, { exemptions });
    const event = await tamper(c, web, OFF);

    const [record] = await h.deliver(event);

    expect(record).toMatchObject({
      outcome: 'exempt',
      drift: [{ property: 'accessLogsEnabled', observed: false, desired: true }],
      actions: [],
      exemption: { ticket: 'CHG-42' },
    });
    expect(h.writes()).toEqual([]);
    expect((await attributesOf(c, web))['access_logs.s3.enabled']).toBe('false');

    const later = controllerOn(
      emu,
      [loadBalancerLogs],
      { 'load-balancer-logs': lbSection() },
      { exemptions, now: daysLater(11) },
    );
    const [expired] = await later.handleEvent(event);
    expect(expired?.outcome).toBe('remediated');
    expect(expired?.reason).toMatch(/policy exemption expired on /);
  });

  it('notify mode changes nothing and reports drift-detected', async () => {
    const { h, c, web } = await setup(lbSection({ mode: 'notify' }));

    const [record] = await h.deliver(await tamper(c, web, OFF));

    expect(record).toMatchObject({
      outcome: 'drift-detected',
      mode: 'notify',
      reason: '1 difference(s) from the policy; notify mode, would run: elasticloadbalancing:ModifyLoadBalancerAttributes',
      actions: [],
    });
    expect(h.writes()).toEqual([]);
    expect((await attributesOf(c, web))['access_logs.s3.enabled']).toBe('false');
    expect((await h.audit.drain())[0]?.outcome).toBe('drift-detected');
  });

  it('the sweep over a mixed set fixes exactly the non-compliant governed balancers, then is a no-op', async () => {
    const c = emu.clients();
    await createLogBucket(c);
    const net = await network(c);
    const good = await alb(c, 'good', net.subnets, { logs: true });
    const bare = await alb(c, 'bare', net.subnets);
    const off = await alb(c, 'off', net.subnets, { logs: true });
    await tamper(c, off, OFF);
    const exempt = await alb(c, 'exempt', net.subnets);
    const tls = await nlb(c, 'tls', net, 'TLS');
    const tcp = await nlb(c, 'tcp', net, 'TCP');
    const exemptions = [exemptionOf('load-balancer-logs', exempt)];
    const h = await harness(emu, [loadBalancerLogs], { 'load-balancer-logs': lbSection() }, { exemptions });

    const records = await h.deliver(sweep());

    const outcomes = Object.fromEntries(records.map((r) => [r.resource.id, r.outcome]));
    expect(outcomes).toEqual({
      [good]: 'compliant',
      [bare]: 'remediated',
      [off]: 'remediated',
      [exempt]: 'exempt',
      [tls]: 'remediated',
      [tcp]: 'ignored',
    });
    for (const arn of [bare, off, tls]) expect(await attributesOf(c, arn)).toMatchObject(wantedLogs());
    expect((await attributesOf(c, exempt))['access_logs.s3.enabled']).toBeUndefined();
    const count = (action: string) => h.calls.filter((x) => x === `elasticloadbalancing:${action}`).length;
    // The listing: 1 page, listeners of the 2 NLBs, attributes of the 5 governed, tags in 1 batch; then 3 writes + 3 verifications.
    expect({
      list: count('DescribeLoadBalancers'),
      listeners: count('DescribeListeners'),
      attributes: count('DescribeLoadBalancerAttributes'),
      tags: count('DescribeTags'),
      writes: count('ModifyLoadBalancerAttributes'),
      bucketChecks: h.calls.filter((x) => x.startsWith('s3:')).length,
    }).toEqual({ list: 1, listeners: 2, attributes: 5 + 3, tags: 1, writes: 3, bucketChecks: 2 });

    h.calls.length = 0;
    const again = await h.deliver(sweep());
    expect(again.filter((r) => r.outcome === 'remediated')).toEqual([]);
    expect(h.writes()).toEqual([]);
  });

  it('a Config compliance change for an ALB (resource id = ARN) reconciles it', async () => {
    const { h, c, web } = await setup();
    await tamper(c, web, OFF);
    const [record] = await h.deliver(
      configComplianceEvent({
        account: ACCOUNT,
        region: REGION,
        resourceType: TYPE,
        resourceId: web,
        configRuleName: 'elb-logging-enabled',
      }),
    );
    expect(record).toMatchObject({ outcome: 'remediated', trigger: { type: 'config' } });
    expect(await attributesOf(c, web)).toMatchObject(wantedLogs());
  });

  it('bad input ends in clear records: deleted balancer, classic ELB, failed call, no ARN, other region, other attributes', async () => {
    const { h, c, net, web } = await setup();
    const gone = await alb(c, 'short-lived', net.subnets);
    const goneEvent = await tamper(c, gone, OFF);
    await deleteLb(c, gone);
    const euArn = web.replace(`:${REGION}:`, ':eu-west-1:');

    const records = await h.deliver(
      goneEvent,
      lbEvent('ModifyLoadBalancerAttributes', {
        requestParameters: { loadBalancerName: 'classic-web', loadBalancerAttributes: { accessLog: { enabled: false } } },
        responseElements: { loadBalancerName: 'classic-web', loadBalancerAttributes: { accessLog: { enabled: false } } },
      }),
      lbEvent(
        'CreateLoadBalancer',
        { requestParameters: null, responseElements: null },
        { errorCode: 'DuplicateLoadBalancerName' },
      ),
      lbEvent('ModifyLoadBalancerAttributes', { requestParameters: { attributes: 'access_logs.s3.enabled=false' } }),
      lbEvent('ModifyLoadBalancerAttributes', {
        requestParameters: { loadBalancerArn: euArn, attributes: [{ key: 'access_logs.s3.enabled', value: 'false' }] },
      }),
      lbEvent('ModifyLoadBalancerAttributes', {
        requestParameters: { loadBalancerArn: web, attributes: [{ key: 'deletion_protection.enabled', value: 'false' }] },
      }),
    );

    expect(records.map((r) => [r.outcome, r.reason])).toEqual([
      [
        'ignored',
        'load balancer short-lived does not exist (LoadBalancerNotFound): deleted before it could be checked; nothing to do',
      ],
      [
        'ignored',
        'ModifyLoadBalancerAttributes for Classic Load Balancer classic-web (API 2012-06-01): classic load balancers are not governed by this guardrail',
      ],
      ['ignored', 'the CreateLoadBalancer call failed (DuplicateLoadBalancerName); nothing changed'],
      ['ignored', 'ModifyLoadBalancerAttributes event without a string requestParameters.loadBalancerArn'],
      ['ignored', 'load balancer web is in eu-west-1; only the eu-west-1 controller changes it'],
      ['ignored', 'ModifyLoadBalancerAttributes changed no log attribute (deletion_protection.enabled)'],
    ]);
    expect(records.every((r) => r.runbook === RUNBOOK)).toBe(true);
    expect(h.writes()).toEqual([]);
    expect(await h.audit.drain()).toHaveLength(6);
  });

  it("logwarden's own ModifyLoadBalancerAttributes fed back as an event leads to no call", async () => {
    const { h, c, web } = await setup();
    const own = { kind: 'assumed-role' as const, account: ACCOUNT, roleName: 'logwarden-controller', path: '/logwarden/' };
    const [record] = await h.deliver(await tamper(c, web, wantedLogs(), { identity: own }));
    expect(record?.outcome).toBe('ignored');
    expect(h.calls).toEqual(['events:PutEvents']);
  });

  it('every API call made is among the declared IAM actions', async () => {
    const { h, c, net, web } = await setup(lbSection({ connectionLogs: true }));
    await nlb(c, 'tls', net, 'TLS');
    await nlb(c, 'tcp', net, 'TCP');
    await alb(c, 'bare', net.subnets);
    await h.deliver(await tamper(c, web, OFF), sweep());
    const controllerCalls = reads(h);
    expect(new Set(controllerCalls).size).toBe(loadBalancerLogs.iamActions.length);
    for (const call of controllerCalls) expect(loadBalancerLogs.iamActions).toContain(call);
  });
});
