import { describe, expect, it } from 'vitest';
import type { CloudTrailDetail } from '../../controllers/core/types.js';
import { desiredLogs, diffLogs, type LoadBalancerState, planLogs } from '../../controllers/load-balancer-logs/diff.js';
import {
  LOAD_BALANCER_EVENT_SAMPLE,
  loadBalancerOfListener,
  parseLoadBalancerArn,
  refsFromEvent,
  resolveLoadBalancer,
} from '../../controllers/load-balancer-logs/events.js';
import { loadBalancerLogs } from '../../controllers/load-balancer-logs/index.js';
import { logWritersFor, policyAllowsElbDelivery } from '../../controllers/load-balancer-logs/log-bucket.js';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const scope = { account: ACCOUNT, region: REGION };
const ALB = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:loadbalancer/app/web/50dc6c495c0c9188`;
const NLB = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:loadbalancer/net/tls/2a5e8e0f3c7b9d14`;
const BUCKET = `elb-logs-${ACCOUNT}-${REGION}`;
const parse = (doc: unknown) => loadBalancerLogs.policySchema.safeParse(doc);
const policy = (extra: Record<string, unknown> = {}) =>
  loadBalancerLogs.policySchema.parse({ bucket: 'elb-logs-{account}-{region}', prefix: 'lb', ...extra });

function detail(
  eventName: string,
  requestParameters: Record<string, unknown> | null,
  responseElements: Record<string, unknown> | null = null,
): CloudTrailDetail {
  return {
    eventName,
    eventSource: 'elasticloadbalancing.amazonaws.com',
    eventID: null,
    awsRegion: REGION,
    recipientAccountId: ACCOUNT,
    errorCode: null,
    userIdentity: null,
    requestParameters,
    responseElements,
  };
}
const refIds = (r: ReturnType<typeof refsFromEvent>) => ('refs' in r ? r.refs.map((x) => x.id) : r.ignore);

describe('load-balancer-logs policy', () => {
  it('accepts the documented section with its defaults', () => {
    expect(policy()).toEqual({
      mode: 'remediate',
      bucket: 'elb-logs-{account}-{region}',
      prefix: 'lb',
      connectionLogs: false,
      networkLoadBalancers: 'tls-listeners',
    });
  });

  it.each([
    [{ bucket: 'elb-logs-{account}' }, 'bucket', 'must contain {region}'],
    [{ bucket: 'elb-{acct}-{region}' }, 'bucket', 'unknown placeholder(s) {acct}'],
    [{ bucket: 'ELB_{region}' }, 'bucket', 'does not give a valid bucket name'],
    [{ bucket: 'elb-{region}', prefix: '/lb' }, 'prefix', 'not starting or ending with "/"'],
    [{ bucket: 'elb-{region}', prefix: 'lb/AWSLogs' }, 'prefix', 'must not contain "AWSLogs"'],
    [{ bucket: 'elb-{region}', networkLoadBalancers: 'all' }, 'networkLoadBalancers', ''],
    [{ bucket: 'elb-{region}', logBucket: 'x' }, '', 'logBucket'],
  ])('rejects %j naming the field', (doc, field, message) => {
    const result = parse(doc);
    expect(result.success).toBe(false);
    const issue = result.error?.issues[0];
    expect(issue?.path.join('.')).toBe(field);
    expect(result.error?.issues.map((i) => `${i.message} ${'keys' in i ? String(i.keys) : ''}`).join('; ')).toContain(message);
  });
});

describe('load-balancer-logs events', () => {
  it('every sample resolves to a governed load balancer of the demo account and region', () => {
    for (const eventName of loadBalancerLogs.cloudTrailEvents[0]?.eventNames ?? []) {
      const sample = LOAD_BALANCER_EVENT_SAMPLE.perEvent?.[eventName] ?? LOAD_BALANCER_EVENT_SAMPLE;
      const r = refsFromEvent(detail(eventName, sample.requestParameters, sample.responseElements ?? null), scope);
      expect('refs' in r ? r.refs.length : r.ignore, eventName).toBe(1);
    }
  });

  it('parses ARNs of load balancers and listeners', () => {
    expect(parseLoadBalancerArn(NLB)).toEqual({ region: REGION, account: ACCOUNT, segment: 'net', name: 'tls' });
    expect(parseLoadBalancerArn('arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/x/1')).toBeNull();
    expect(loadBalancerOfListener(`${NLB.replace(':loadbalancer/', ':listener/')}/8e9f0a1b2c3d4e5f`)).toBe(NLB);
    expect(loadBalancerOfListener('arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/x/1/2/3')).toBeNull();
  });

  it('ModifyLoadBalancerAttributes: re-reads when a log attribute (or something unreadable) was sent, ignores other attributes', () => {
    const modify = (attributes: unknown) =>
      refIds(refsFromEvent(detail('ModifyLoadBalancerAttributes', { loadBalancerArn: ALB, attributes }), scope));
    expect(modify([{ key: 'access_logs.s3.enabled', value: 'false' }])).toEqual([ALB]);
    expect(modify([{ key: 'connection_logs.s3.bucket', value: 'x' }])).toEqual([ALB]);
    expect(modify('garbled')).toEqual([ALB]);
    expect(modify([{ key: 'idle_timeout.timeout_seconds', value: '60' }])).toBe(
      'ModifyLoadBalancerAttributes changed no log attribute (idle_timeout.timeout_seconds)',
    );
  });

  it('CreateLoadBalancer: the ARN from the response; without it the sweep covers the balancer', () => {
    const created = { loadBalancers: [{ loadBalancerArn: ALB, type: 'application' }] };
    expect(refIds(refsFromEvent(detail('CreateLoadBalancer', { name: 'web' }, created), scope))).toEqual([ALB]);
    expect(refIds(refsFromEvent(detail('CreateLoadBalancer', { name: 'web' }, { loadBalancers: 'x' }), scope))).toMatch(
      /the sweep covers it/,
    );
  });

  it('listeners: only TLS makes a balancer governed; ModifyListener names the balancer through its listener ARN', () => {
    const listenerArn = `${NLB.replace(':loadbalancer/', ':listener/')}/8e9f0a1b2c3d4e5f`;
    expect(refIds(refsFromEvent(detail('CreateListener', { loadBalancerArn: NLB, protocol: 'TLS' }), scope))).toEqual([NLB]);
    expect(refIds(refsFromEvent(detail('CreateListener', { loadBalancerArn: NLB }), scope))).toEqual([NLB]);
    expect(refIds(refsFromEvent(detail('ModifyListener', { listenerArn, protocol: 'TLS' }), scope))).toEqual([NLB]);
    expect(refIds(refsFromEvent(detail('CreateListener', { loadBalancerArn: NLB, protocol: 'TCP' }), scope))).toBe(
      'CreateListener with a TCP listener: only a TLS listener makes a Network Load Balancer governed',
    );
    expect(refIds(refsFromEvent(detail('ModifyListener', { listenerArn, certificates: [] }), scope))).toMatch(
      /keeps the listener's protocol/,
    );
  });

  it('ignores Classic, Gateway, other-account, other-region and malformed records with a reason', () => {
    const classic = refsFromEvent(
      detail('CreateLoadBalancer', { loadBalancerName: 'old', listeners: [] }, { dNSName: 'old.elb.amazonaws.com' }),
      scope,
    );
    expect(refIds(classic)).toMatch(/Classic Load Balancer old \(API 2012-06-01\)/);
    const gwy = ALB.replace('/app/', '/gwy/');
    expect(refIds(refsFromEvent(detail('ModifyLoadBalancerAttributes', { loadBalancerArn: gwy }), scope))).toMatch(
      /Gateway Load Balancer/,
    );
    expect(refIds(resolveLoadBalancer(ALB.replace(ACCOUNT, '111111111111'), scope))).toMatch(/belongs to account 111111111111/);
    expect(refIds(resolveLoadBalancer(ALB.replace(REGION, 'eu-west-1'), scope))).toMatch(/is in eu-west-1/);
    expect(refIds(resolveLoadBalancer('web', scope))).toMatch(/is not an Elastic Load Balancing v2 load balancer ARN/);
    expect(refIds(refsFromEvent(detail('ModifyListener', { listenerArn: 'nope', protocol: 'TLS' }), scope))).toMatch(
      /without a load balancer or listener ARN/,
    );
    expect(refIds(refsFromEvent(detail('ModifyLoadBalancerAttributes', null), scope))).toMatch(
      /without a string requestParameters.loadBalancerArn/,
    );
  });
});

describe('load-balancer-logs diff and plan', () => {
  const ref = {
    type: 'AWS::ElasticLoadBalancingV2::LoadBalancer' as const,
    id: ALB,
    arn: ALB,
    region: REGION,
    account: ACCOUNT,
    name: 'web',
  };
  const on = { 'access_logs.s3.enabled': 'true', 'access_logs.s3.bucket': BUCKET, 'access_logs.s3.prefix': 'lb' };
  const connOn = { 'connection_logs.s3.enabled': 'true', 'connection_logs.s3.bucket': BUCKET, 'connection_logs.s3.prefix': 'lb' };
  const state = (attributes: Record<string, string>, balancer: 'application' | 'network' = 'application'): LoadBalancerState => ({
    kind: 'balancer',
    balancer,
    attributes,
    tags: {},
  });

  it('desired: the bucket template filled with the ARN account and region; no prefix is an empty prefix', () => {
    expect(desiredLogs(ref, policy())).toEqual({ bucket: BUCKET, prefix: 'lb', connectionLogs: false });
    expect(desiredLogs(ref, policy({ prefix: undefined })).prefix).toBe('');
  });

  it('compliant: logs on to the bucket and prefix (connection logs not compared unless asked)', () => {
    expect(diffLogs(state(on), desiredLogs(ref, policy()))).toEqual([]);
    expect(diffLogs(state({ ...on, ...connOn }), desiredLogs(ref, policy({ connectionLogs: true })))).toEqual([]);
  });

  it('non-compliant: off, absent attributes (AWS defaults), another bucket or prefix', () => {
    const d = desiredLogs(ref, policy());
    expect(diffLogs(state({ ...on, 'access_logs.s3.enabled': 'false' }), d)).toEqual([
      { property: 'accessLogsEnabled', observed: false, desired: true },
    ]);
    expect(diffLogs(state({}), d).map((x) => x.property)).toEqual(['accessLogsEnabled', 'accessLogsBucket', 'accessLogsPrefix']);
    expect(diffLogs(state({ ...on, 'access_logs.s3.bucket': 'theirs' }), d)).toEqual([
      { property: 'accessLogsBucket', observed: 'theirs', desired: BUCKET },
    ]);
    expect(diffLogs(state({ ...on, 'access_logs.s3.prefix': '' }), d)).toEqual([
      { property: 'accessLogsPrefix', observed: '', desired: 'lb' },
    ]);
  });

  it('connection logs: required on ALBs when asked, never on NLBs', () => {
    const d = desiredLogs(ref, policy({ connectionLogs: true }));
    expect(diffLogs(state(on), d).map((x) => x.property)).toEqual([
      'connectionLogsEnabled',
      'connectionLogsBucket',
      'connectionLogsPrefix',
    ]);
    expect(diffLogs(state(on, 'network'), d)).toEqual([]);
  });

  it('missing and ungoverned balancers have no drift and no plan', () => {
    const d = desiredLogs(ref, policy());
    for (const s of [{ kind: 'missing' }, { kind: 'ungoverned', reason: 'x' }] as LoadBalancerState[]) {
      expect(diffLogs(s, d)).toEqual([]);
      expect(planLogs(s, d, [{ property: 'accessLogsEnabled', observed: false, desired: true }])).toEqual([]);
    }
  });

  it('plan: one ModifyLoadBalancerAttributes with each drifted family whole, and the writer kind', () => {
    const d = desiredLogs(ref, policy({ connectionLogs: true }));
    const s = state({ ...on, 'connection_logs.s3.enabled': 'false' });
    expect(planLogs(s, d, diffLogs(s, d))).toEqual([
      {
        api: 'elasticloadbalancing:ModifyLoadBalancerAttributes',
        description: `connection logs to s3://${BUCKET}/lb/`,
        balancer: 'application',
        attributes: [
          { Key: 'connection_logs.s3.enabled', Value: 'true' },
          { Key: 'connection_logs.s3.bucket', Value: BUCKET },
          { Key: 'connection_logs.s3.prefix', Value: 'lb' },
        ],
      },
    ]);
    expect(planLogs(state({}), d, diffLogs(state({}), d))[0]?.attributes).toHaveLength(6);
  });
});

describe('load-balancer-logs log bucket policy', () => {
  const target = (extra: Partial<Parameters<typeof policyAllowsElbDelivery>[1]> = {}) => ({
    bucket: BUCKET,
    prefix: 'lb',
    account: ACCOUNT,
    region: REGION,
    kind: 'application' as const,
    ...extra,
  });
  const doc = (...Statement: unknown[]) => JSON.stringify({ Version: '2012-10-17', Statement });
  const allow = (
    Principal: unknown,
    Resource = `arn:aws:s3:::${BUCKET}/lb/AWSLogs/${ACCOUNT}/*`,
    extra: Record<string, unknown> = {},
  ) => ({ Effect: 'Allow', Principal, Action: 's3:PutObject', Resource, ...extra });

  it('who writes: ALB → ELB principal and the region account; NLB → delivery.logs', () => {
    expect(logWritersFor('application', 'eu-west-1')).toEqual({
      services: ['logdelivery.elasticloadbalancing.amazonaws.com'],
      accounts: ['156460612806'],
    });
    expect(logWritersFor('application', 'ap-southeast-5')).toEqual({
      services: ['logdelivery.elasticloadbalancing.amazonaws.com'],
      accounts: [],
    });
    expect(logWritersFor('network', REGION)).toEqual({ services: ['delivery.logs.amazonaws.com'], accounts: [] });
  });

  it('allows: the service principal, the region ELB account (ARN or bare id), wildcards, a matching aws:SourceAccount', () => {
    expect(policyAllowsElbDelivery(doc(allow({ Service: 'logdelivery.elasticloadbalancing.amazonaws.com' })), target())).toBe(
      true,
    );
    expect(policyAllowsElbDelivery(doc(allow({ AWS: 'arn:aws:iam::127311923021:root' })), target())).toBe(true);
    expect(policyAllowsElbDelivery(doc(allow({ AWS: ['127311923021'] })), target())).toBe(true);
    expect(
      policyAllowsElbDelivery(
        doc(allow({ Service: 'delivery.logs.amazonaws.com' }, `arn:aws:s3:::${BUCKET}/*`, { Action: 's3:*' })),
        target({ kind: 'network' }),
      ),
    ).toBe(true);
    const conditioned = allow({ Service: 'logdelivery.elasticloadbalancing.amazonaws.com' }, undefined, {
      Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
    });
    expect(policyAllowsElbDelivery(doc(conditioned), target())).toBe(true);
    // No prefix: the key starts with AWSLogs/.
    const noPrefix = allow({ AWS: '127311923021' }, `arn:aws:s3:::${BUCKET}/AWSLogs/${ACCOUNT}/*`);
    expect(policyAllowsElbDelivery(doc(noPrefix), target({ prefix: '' }))).toBe(true);
    expect(policyAllowsElbDelivery(doc(noPrefix), target())).toBe(false);
  });

  it('refuses: another region account, the wrong principal for the kind, another prefix or account, a foreign SourceAccount, a Deny, garbage', () => {
    expect(policyAllowsElbDelivery(doc(allow({ AWS: 'arn:aws:iam::156460612806:root' })), target())).toBe(false);
    expect(policyAllowsElbDelivery(doc(allow({ Service: 'delivery.logs.amazonaws.com' })), target())).toBe(false);
    expect(
      policyAllowsElbDelivery(
        doc(allow({ Service: 'logdelivery.elasticloadbalancing.amazonaws.com' })),
        target({ kind: 'network' }),
      ),
    ).toBe(false);
    expect(
      policyAllowsElbDelivery(doc(allow({ AWS: '127311923021' }, `arn:aws:s3:::${BUCKET}/other/AWSLogs/${ACCOUNT}/*`)), target()),
    ).toBe(false);
    expect(
      policyAllowsElbDelivery(doc(allow({ AWS: '127311923021' }, `arn:aws:s3:::${BUCKET}/lb/AWSLogs/111111111111/*`)), target()),
    ).toBe(false);
    const foreign = allow({ Service: 'logdelivery.elasticloadbalancing.amazonaws.com' }, undefined, {
      Condition: { StringEquals: { 'aws:SourceAccount': '111111111111' } },
    });
    expect(policyAllowsElbDelivery(doc(foreign), target())).toBe(false);
    const deny = { ...allow('*', `arn:aws:s3:::${BUCKET}/*`), Effect: 'Deny' };
    expect(policyAllowsElbDelivery(doc(allow({ AWS: '127311923021' }), deny), target())).toBe(false);
    expect(policyAllowsElbDelivery('not json', target())).toBe(false);
    expect(policyAllowsElbDelivery(doc(), target())).toBe(false);
  });
});
