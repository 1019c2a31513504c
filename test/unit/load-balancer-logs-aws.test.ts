import {
  DescribeListenersCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  ElasticLoadBalancingV2Client,
  ModifyLoadBalancerAttributesCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetBucketLocationCommand, GetBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { apiCallEvent, sweepEvent } from '../../cli/events.js';
import { AwsClients } from '../../controllers/core/aws.js';
import { Controller } from '../../controllers/core/controller.js';
import { parsePolicy } from '../../controllers/core/policy.js';
import { elbIn } from '../../controllers/load-balancer-logs/aws.js';
import { loadBalancerLogs } from '../../controllers/load-balancer-logs/index.js';
import { ACCOUNT, CREDENTIALS, quietLogger, REGION } from '../helpers/emulator.js';
import { LOG_BUCKET, lbSection, RUNBOOK } from '../helpers/load-balancer-logs.js';
import { policyWith } from '../helpers/policy.js';

// Paths the emulator (moto 5.2.5) does not model: NLB ARNs with `net/` (moto writes `app/` for every
// type), more than one page of DescribeLoadBalancers (400 each) or of DescribeListeners,
// ELB refusing the bucket at write time (InvalidConfigurationRequest), DescribeTags failing for a
// deleted balancer, a balancer deleted between the read and the write, throttling, and a log bucket
// in another region.

const elb = mockClient(ElasticLoadBalancingV2Client);
const s3 = mockClient(S3Client);
const ALB = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:loadbalancer/app/web/50dc6c495c0c9188`;
const NLB = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:loadbalancer/net/tls/2a5e8e0f3c7b9d14`;
const OFF = [{ Key: 'access_logs.s3.enabled', Value: 'false' }];
const ON = [
  { Key: 'access_logs.s3.enabled', Value: 'true' },
  { Key: 'access_logs.s3.bucket', Value: LOG_BUCKET },
  { Key: 'access_logs.s3.prefix', Value: 'lb' },
];
const sdkError = (name: string, status = 400) =>
  Object.assign(new Error(`${name} from AWS`), { name, $metadata: { httpStatusCode: status } });

function bucketPolicy(principal: Record<string, string>) {
  const Resource = `arn:aws:s3:::${LOG_BUCKET}/lb/AWSLogs/${ACCOUNT}/*`;
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: principal, Action: 's3:PutObject', Resource }],
  });
}

function controller() {
  return new Controller({
    guardrails: [loadBalancerLogs],
    policy: parsePolicy(policyWith({ 'load-balancer-logs': lbSection() }), [loadBalancerLogs]),
    account: ACCOUNT,
    clients: new AwsClients({ credentials: CREDENTIALS, maxAttempts: 1 }),
    logger: quietLogger(),
  });
}

const modifyEvent = (arn: string) =>
  apiCallEvent({
    account: ACCOUNT,
    region: REGION,
    eventSource: 'elasticloadbalancing.amazonaws.com',
    eventName: 'ModifyLoadBalancerAttributes',
    requestParameters: { loadBalancerArn: arn, attributes: [{ key: 'access_logs.s3.enabled', value: 'false' }] },
    responseElements: { attributes: [{ key: 'access_logs.s3.enabled', value: 'false' }] },
  });

const balancer = (arn: string, Type: 'application' | 'network' | 'gateway', name = 'web') => ({
  LoadBalancerArn: arn,
  LoadBalancerName: name,
  Type,
  State: { Code: 'active' as const },
});

beforeEach(() => {
  elb.reset();
  s3.reset();
  elb.on(DescribeLoadBalancersCommand).resolves({ LoadBalancers: [balancer(ALB, 'application')] });
  elb.on(DescribeTagsCommand).callsFake((input: { ResourceArns: string[] }) => ({
    TagDescriptions: input.ResourceArns.map((ResourceArn) => ({ ResourceArn, Tags: [] })),
  }));
  elb.on(DescribeLoadBalancerAttributesCommand).resolvesOnce({ Attributes: OFF }).resolves({ Attributes: ON });
  elb.on(ModifyLoadBalancerAttributesCommand).resolves({ Attributes: ON });
  s3.on(GetBucketLocationCommand).resolves({});
  s3.on(GetBucketPolicyCommand).resolves({ Policy: bucketPolicy({ Service: 'logdelivery.elasticloadbalancing.amazonaws.com' }) });
});

describe('load-balancer-logs against mocked AWS semantics', () => {
  it('an NLB (`net/` ARN) whose TLS listener is on the second DescribeListeners page → restored; bucket must admit delivery.logs', async () => {
    elb.on(DescribeLoadBalancersCommand).resolves({ LoadBalancers: [balancer(NLB, 'network', 'tls')] });
    elb
      .on(DescribeListenersCommand)
      .resolvesOnce({ Listeners: [{ Protocol: 'TCP', Port: 80 }], NextMarker: 'page-2' })
      .resolves({ Listeners: [{ Protocol: 'TLS', Port: 443 }] });
    s3.on(GetBucketPolicyCommand).resolves({ Policy: bucketPolicy({ Service: 'delivery.logs.amazonaws.com' }) });

    const [record] = await controller().handleEvent(modifyEvent(NLB));

    expect(record).toMatchObject({ outcome: 'remediated', verified: true, resource: { id: NLB } });
    expect(elb.commandCalls(DescribeListenersCommand).map((c) => c.args[0].input.Marker)).toEqual([undefined, 'page-2']);
    expect(elb.commandCalls(ModifyLoadBalancerAttributesCommand)[0]?.args[0].input).toEqual({
      LoadBalancerArn: NLB,
      Attributes: ON,
    });
  });

  it('an NLB log bucket that only admits the ALB principal → failed LogBucketNotPermitted naming delivery.logs', async () => {
    elb.on(DescribeLoadBalancersCommand).resolves({ LoadBalancers: [balancer(NLB, 'network', 'tls')] });
    elb.on(DescribeListenersCommand).resolves({ Listeners: [{ Protocol: 'TLS', Port: 443 }] });

    const [record] = await controller().handleEvent(modifyEvent(NLB));

    expect(record).toMatchObject({ outcome: 'failed', retryable: false });
    expect(record?.reason).toContain('LogBucketNotPermitted: log bucket');
    expect(record?.reason).toContain('does not let delivery.logs.amazonaws.com s3:PutObject');
    expect(elb.commandCalls(ModifyLoadBalancerAttributesCommand)).toHaveLength(0);
  });

  it('a Gateway Load Balancer (type read from DescribeLoadBalancers) is ignored without further reads', async () => {
    elb.on(DescribeLoadBalancersCommand).resolves({ LoadBalancers: [balancer(ALB, 'gateway', 'gw')] });
    const [record] = await controller().handleEvent(modifyEvent(ALB));
    expect(record).toMatchObject({ outcome: 'ignored', reason: 'load balancer gw is of type gateway: it has no access logs' });
    expect(elb.commandCalls(DescribeLoadBalancerAttributesCommand)).toHaveLength(0);
  });

  it('deleted between the read and the write (LoadBalancerNotFound) → failed, not retryable, with the reason and runbook', async () => {
    elb.on(ModifyLoadBalancerAttributesCommand).rejects(sdkError('LoadBalancerNotFoundException'));

    const [record] = await controller().handleEvent(modifyEvent(ALB));

    expect(record).toMatchObject({ outcome: 'failed', retryable: false });
    expect(record?.reason).toBe(
      `elasticloadbalancing:ModifyLoadBalancerAttributes failed: LoadBalancerNotFound: load balancer web was deleted between the read and the write (LoadBalancerNotFound); nothing left to log, retrying will not help: see ${RUNBOOK}`,
    );
  });

  it('deleted before the read: DescribeTags answering LoadBalancerNotFound (as AWS does) → ignored', async () => {
    elb.on(DescribeTagsCommand).rejects(sdkError('LoadBalancerNotFoundException'));
    const [record] = await controller().handleEvent(modifyEvent(ALB));
    expect(record).toMatchObject({ outcome: 'ignored' });
    expect(record?.reason).toMatch(/does not exist \(LoadBalancerNotFound\)/);
  });

  it('ELB refuses the bucket at write time (InvalidConfigurationRequest) → failed LogBucketNotPermitted, not retryable', async () => {
    elb.on(ModifyLoadBalancerAttributesCommand).rejects(sdkError('InvalidConfigurationRequest'));
    const [record] = await controller().handleEvent(modifyEvent(ALB));
    expect(record).toMatchObject({ outcome: 'failed', retryable: false });
    expect(record?.reason).toContain(`LogBucketNotPermitted: ELB refused log bucket ${LOG_BUCKET}`);
    expect(record?.reason).toContain(RUNBOOK);
  });

  it('a log bucket in another region → failed LogBucketWrongRegion', async () => {
    s3.on(GetBucketLocationCommand).resolves({ LocationConstraint: 'eu-west-1' });
    const [record] = await controller().handleEvent(modifyEvent(ALB));
    expect(record?.reason).toContain(`LogBucketWrongRegion: log bucket ${LOG_BUCKET} is in eu-west-1, not in ${REGION}`);
    expect(s3.commandCalls(GetBucketPolicyCommand)).toHaveLength(0);
  });

  it('throttling → failed with retryable: true (EventBridge redelivers)', async () => {
    elb.on(DescribeLoadBalancerAttributesCommand).rejects(sdkError('Throttling'));
    const [record] = await controller().handleEvent(modifyEvent(ALB));
    expect(record).toMatchObject({ outcome: 'failed', retryable: true });
    expect(record?.reason).toMatch(/^Throttling: /);
  });

  it('the sweep: pages of 400 with NextMarker, tags 20 ARNs per call, attributes per balancer; a failed attribute read is observed again', async () => {
    const arns = Array.from({ length: 45 }, (_, i) => ALB.replace('/web/', `/web-${i}/`));
    const page = (from: number, to: number) =>
      arns.slice(from, to).map((arn, i) => balancer(arn, 'application', `web-${from + i}`));
    elb
      .on(DescribeLoadBalancersCommand)
      .resolvesOnce({ LoadBalancers: page(0, 30), NextMarker: 'm1' })
      .resolvesOnce({ LoadBalancers: page(30, 45) })
      .resolves({ LoadBalancers: [balancer(arns[7] as string, 'application', 'web-7')] });
    elb.on(DescribeLoadBalancerAttributesCommand).resolves({ Attributes: ON });
    elb
      .on(DescribeLoadBalancerAttributesCommand, { LoadBalancerArn: arns[7] })
      .rejectsOnce(sdkError('Throttling'))
      .resolves({ Attributes: ON });

    const records = await controller().handleEvent(
      sweepEvent({ account: ACCOUNT, region: REGION, guardrail: 'load-balancer-logs' }),
    );

    expect(records.map((r) => r.outcome)).toEqual(arns.map(() => 'compliant'));
    const lists = elb.commandCalls(DescribeLoadBalancersCommand).map((c) => c.args[0].input);
    expect(lists.slice(0, 2)).toEqual([
      { PageSize: 400, Marker: undefined },
      { PageSize: 400, Marker: 'm1' },
    ]);
    // The balancer whose listing read failed is read on its own (DescribeLoadBalancers by ARN, attributes, tags).
    expect(lists[2]).toEqual({ LoadBalancerArns: [arns[7]] });
    expect(elb.commandCalls(DescribeTagsCommand).map((c) => c.args[0].input.ResourceArns?.length)).toEqual([20, 20, 5, 1]);
    expect(elb.commandCalls(DescribeLoadBalancerAttributesCommand)).toHaveLength(45 + 1);
    expect(elb.commandCalls(DescribeListenersCommand)).toHaveLength(0);
  });

  it('the ELB client prefers the adaptive retry mode (sweeps throttle early)', async () => {
    const clients = new AwsClients({ credentials: CREDENTIALS });
    const mode = elbIn({ clients }, REGION).config.retryMode;
    expect(typeof mode === 'function' ? await mode() : mode).toBe('adaptive');
  });
});
