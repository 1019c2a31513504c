import {
  type Cluster,
  type ClusterStatus,
  DescribeClusterCommand,
  DescribeUpdateCommand,
  EKSClient,
  ListClustersCommand,
  UpdateClusterConfigCommand,
} from '@aws-sdk/client-eks';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { apiCallEvent, sweepEvent } from '../../cli/events.js';
import { AwsClients } from '../../controllers/core/aws.js';
import { Controller } from '../../controllers/core/controller.js';
import { parsePolicy } from '../../controllers/core/policy.js';
import { eksControlPlaneLogs } from '../../controllers/eks-control-plane-logs/index.js';
import { eksSection } from '../helpers/eks-control-plane-logs.js';
import { ACCOUNT, CREDENTIALS, quietLogger, REGION } from '../helpers/emulator.js';
import { policyWith } from '../helpers/policy.js';

// These paths are not modelled by the emulator (moto 5.2.5): UpdateClusterConfig merging the logging
// list per type (moto replaces it), cluster statuses other than ACTIVE (CREATING, UPDATING, DELETING,
// FAILED, PENDING), connected clusters, ResourceInUseException, the asynchronous `update` answer and
// DescribeUpdate (moto answers the cluster and has no DescribeUpdate), ListClusters pages of 100,
// a read failing during the listing, access denied, and malformed answers.

const eksMock = mockClient(EKSClient);
const NAME = 'payments-prod';
const ARN = `arn:aws:eks:${REGION}:${ACCOUNT}:cluster/${NAME}`;
const RUNBOOK = 'runbooks/eks-control-plane-logs.md';

function controller(section: Record<string, unknown> = eksSection()) {
  return new Controller({
    guardrails: [eksControlPlaneLogs],
    policy: parsePolicy(policyWith({ 'eks-control-plane-logs': section }), [eksControlPlaneLogs]),
    account: ACCOUNT,
    clients: new AwsClients({ credentials: CREDENTIALS, maxAttempts: 1 }),
    logger: quietLogger(),
  });
}

const updateEvent = (name = NAME) =>
  apiCallEvent({
    account: ACCOUNT,
    region: REGION,
    eventSource: 'eks.amazonaws.com',
    eventName: 'UpdateClusterConfig',
    requestParameters: { name, logging: { clusterLogging: [{ types: ['api'], enabled: false }] } },
  });

/** A cluster as AWS describes it: one entry for the enabled types, one for the disabled ones. */
function awsCluster(enabled: string[], over: Partial<Cluster> = {}): { cluster: Cluster } {
  const all = ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'];
  const clusterLogging = [
    { types: enabled, enabled: true },
    { types: all.filter((t) => !enabled.includes(t)), enabled: false },
  ].filter((e) => e.types.length > 0) as NonNullable<Cluster['logging']>['clusterLogging'];
  return { cluster: { name: NAME, arn: ARN, status: 'ACTIVE', logging: { clusterLogging }, tags: {}, ...over } };
}

const awsError = (name: string, status: number) =>
  Object.assign(new Error(`${name} from EKS`), { name, $fault: 'client', $metadata: { httpStatusCode: status } });

const inProgress = { update: { id: 'u-1', status: 'InProgress' as const, type: 'LoggingUpdate' as const, errors: [] } };

beforeEach(() => {
  eksMock.reset();
});

describe('EKS control-plane logs against mocked AWS semantics', () => {
  it('AWS merges per type: only the missing types are sent, enabled; scheduler (not in the policy) is never named', async () => {
    eksMock
      .on(DescribeClusterCommand)
      .resolvesOnce(awsCluster(['api', 'scheduler']))
      .resolves(awsCluster(['api', 'audit', 'authenticator', 'scheduler']));
    eksMock.on(UpdateClusterConfigCommand).resolves(inProgress);

    const [record] = await controller().handleEvent(updateEvent());

    expect(record).toMatchObject({
      outcome: 'remediated',
      verified: true,
      drift: [
        { property: 'logTypes.audit', observed: false, desired: true },
        { property: 'logTypes.authenticator', observed: false, desired: true },
      ],
      actions: [{ api: 'eks:UpdateClusterConfig', ok: true }],
    });
    expect(eksMock.commandCalls(UpdateClusterConfigCommand).map((c) => c.args[0].input)).toEqual([
      { name: NAME, logging: { clusterLogging: [{ types: ['audit', 'authenticator'], enabled: true }] } },
    ]);
    // DescribeCluster already shows the types: no DescribeUpdate.
    expect(eksMock.commandCalls(DescribeUpdateCommand)).toHaveLength(0);
  });

  it('asynchronous update: DescribeCluster not caught up yet, DescribeUpdate InProgress → verified', async () => {
    eksMock.on(DescribeClusterCommand).resolves(awsCluster(['api']));
    eksMock.on(UpdateClusterConfigCommand).resolves(inProgress);
    eksMock.on(DescribeUpdateCommand).resolves(inProgress);

    const [record] = await controller().handleEvent(updateEvent());

    expect(record).toMatchObject({ outcome: 'remediated', verified: true });
    expect(eksMock.commandCalls(DescribeUpdateCommand).map((c) => c.args[0].input)).toEqual([{ name: NAME, updateId: 'u-1' }]);
    expect(eksMock.commandCalls(DescribeClusterCommand)).toHaveLength(2);
  });

  it('the logging update failed later (DescribeUpdate Failed) → failed, not verified, retried', async () => {
    eksMock.on(DescribeClusterCommand).resolves(awsCluster(['api']));
    eksMock.on(UpdateClusterConfigCommand).resolves(inProgress);
    eksMock.on(DescribeUpdateCommand).resolves({
      update: { id: 'u-1', status: 'Failed', errors: [{ errorCode: 'AccessDenied', errorMessage: 'no logs:CreateLogGroup' }] },
    });

    const [record] = await controller().handleEvent(updateEvent());

    expect(record).toMatchObject({ outcome: 'failed', verified: false, retryable: true });
    expect(record?.reason).toBe('verification failed: still different after remediation: logTypes.audit, logTypes.authenticator');
  });

  it('UpdateClusterConfig answers an update already Failed → failed, not retryable, with the errors', async () => {
    eksMock.on(DescribeClusterCommand).resolves(awsCluster([]));
    eksMock.on(UpdateClusterConfigCommand).resolves({
      update: { id: 'u-2', status: 'Failed', errors: [{ errorCode: 'ClusterUnreachable', errorMessage: 'control plane down' }] },
    });

    const [record] = await controller().handleEvent(updateEvent());

    expect(record).toMatchObject({ outcome: 'failed', retryable: false });
    expect(record?.reason).toBe(
      `eks:UpdateClusterConfig failed: LoggingUpdateFailed: EKS refused the logging update of cluster ${NAME}: ClusterUnreachable: control plane down`,
    );
  });

  it('another update in progress (ResourceInUseException) → failed, retryable, saying the next delivery or sweep retries', async () => {
    eksMock.on(DescribeClusterCommand).resolves(awsCluster([]));
    eksMock.on(UpdateClusterConfigCommand).rejects(awsError('ResourceInUseException', 409));

    const [record] = await controller().handleEvent(updateEvent());

    expect(record).toMatchObject({ outcome: 'failed', retryable: true, runbook: RUNBOOK });
    expect(record?.reason).toContain('eks:UpdateClusterConfig failed: ResourceInUseException: another update of cluster');
    expect(record?.reason).toContain(`the next delivery or the sweep retries (see ${RUNBOOK})`);
  });

  it.each<ClusterStatus>(['CREATING', 'UPDATING', 'PENDING'])(
    'a %s cluster missing types → failed, retryable; UpdateClusterConfig is not sent',
    async (status) => {
      eksMock.on(DescribeClusterCommand).resolves(awsCluster([], { status }));

      const [record] = await controller().handleEvent(updateEvent());

      expect(record).toMatchObject({
        outcome: 'failed',
        retryable: true,
        actions: [{ api: 'eks:UpdateClusterConfig', ok: false }],
      });
      expect(record?.reason).toContain(`ClusterNotReady: cluster ${NAME} is ${status}`);
      expect(record?.reason).toContain('UpdateClusterConfig was not sent, the next delivery or the sweep retries');
      expect(eksMock.commandCalls(UpdateClusterConfigCommand)).toHaveLength(0);
    },
  );

  it('an UPDATING cluster that exports every policy type is compliant', async () => {
    eksMock.on(DescribeClusterCommand).resolves(awsCluster(['api', 'audit', 'authenticator'], { status: 'UPDATING' }));
    const [record] = await controller().handleEvent(updateEvent());
    expect(record?.outcome).toBe('compliant');
  });

  it('a cluster being deleted → ignored with the reason; nothing sent', async () => {
    eksMock.on(DescribeClusterCommand).resolves(awsCluster([], { status: 'DELETING' }));

    const [record] = await controller().handleEvent(updateEvent());

    expect(record).toMatchObject({ outcome: 'ignored', resource: { id: NAME } });
    expect(record?.reason).toContain('is being deleted (status DELETING)');
    expect(eksMock.commandCalls(UpdateClusterConfigCommand)).toHaveLength(0);
  });

  it('a FAILED cluster missing types → drift-detected, reported only; a FAILED compliant one is compliant', async () => {
    eksMock
      .on(DescribeClusterCommand)
      .resolvesOnce(awsCluster(['api'], { status: 'FAILED' }))
      .resolves(awsCluster(['api', 'audit', 'authenticator'], { status: 'FAILED' }));

    const [reported] = await controller().handleEvent(updateEvent());
    const [compliant] = await controller().handleEvent(updateEvent());

    expect(reported).toMatchObject({ outcome: 'drift-detected', mode: 'notify', actions: [] });
    expect(reported?.reason).toContain('cluster is FAILED: EKS accepts no logging update on it');
    expect(compliant?.outcome).toBe('compliant');
    expect(eksMock.commandCalls(UpdateClusterConfigCommand)).toHaveLength(0);
  });

  it('a connected cluster (EKS Connector) is ignored', async () => {
    eksMock.on(DescribeClusterCommand).resolves(awsCluster([], { connectorConfig: { provider: 'OTHER' } }));
    const [record] = await controller().handleEvent(updateEvent());
    expect(record?.outcome).toBe('ignored');
    expect(record?.reason).toContain('connected cluster');
  });

  it('the cluster deleted between the read and the write → failed, not retryable', async () => {
    eksMock.on(DescribeClusterCommand).resolves(awsCluster([]));
    eksMock.on(UpdateClusterConfigCommand).rejects(awsError('ResourceNotFoundException', 404));
    const [record] = await controller().handleEvent(updateEvent());
    expect(record).toMatchObject({ outcome: 'failed', retryable: false });
    expect(record?.reason).toContain('was deleted before its logging could be restored');
  });

  it('access denied on the write (an SCP) → failed, not retryable', async () => {
    eksMock.on(DescribeClusterCommand).resolves(awsCluster([]));
    eksMock.on(UpdateClusterConfigCommand).rejects(awsError('AccessDeniedException', 403));
    const [record] = await controller().handleEvent(updateEvent());
    expect(record).toMatchObject({ outcome: 'failed', retryable: false });
  });

  it('throttled DescribeCluster → failed, retryable', async () => {
    eksMock.on(DescribeClusterCommand).rejects(awsError('ThrottlingException', 400));
    const [record] = await controller().handleEvent(updateEvent());
    expect(record).toMatchObject({ outcome: 'failed', retryable: true });
  });

  it('fail closed: an answer without a cluster, or contradictory logging entries, is never compliant', async () => {
    const contradictory = awsCluster(['api', 'audit', 'authenticator']);
    contradictory.cluster.logging?.clusterLogging?.push({ types: ['audit'], enabled: false });
    eksMock.on(DescribeClusterCommand).resolvesOnce({}).resolves(contradictory);

    const [empty] = await controller({ mode: 'notify' }).handleEvent(updateEvent());
    const [mixed] = await controller({ mode: 'notify' }).handleEvent(updateEvent());

    expect(empty).toMatchObject({ outcome: 'failed' });
    expect(empty?.reason).toContain('MalformedResponse');
    expect(mixed).toMatchObject({ outcome: 'drift-detected', drift: [{ property: 'logTypes.audit', observed: false }] });
  });

  it('the sweep pages ListClusters by 100 and pre-reads each cluster; a failed pre-read is read again', async () => {
    const names = Array.from({ length: 103 }, (_, i) => `c-${String(i).padStart(3, '0')}`);
    eksMock
      .on(ListClustersCommand)
      .resolvesOnce({ clusters: names.slice(0, 100), nextToken: 't-2' })
      .resolves({ clusters: names.slice(100) });
    eksMock.on(DescribeClusterCommand).callsFake((input: { name: string }) => {
      if (input.name === 'c-007' && eksMock.commandCalls(DescribeClusterCommand).length < 50) {
        return Promise.reject(awsError('ThrottlingException', 400));
      }
      return Promise.resolve(awsCluster(['api', 'audit', 'authenticator'], { name: input.name }));
    });

    const records = await controller({ mode: 'notify' }).handleEvent(sweepEvent({ account: ACCOUNT, region: REGION }));

    expect(records).toHaveLength(103);
    expect(records.every((r) => r.outcome === 'compliant')).toBe(true);
    // (The SDK paginator reuses one input object: both calls show the last token.)
    const pages = eksMock.commandCalls(ListClustersCommand).map((c) => c.args[0].input);
    expect(pages).toHaveLength(2);
    expect(pages.map((p) => p.maxResults)).toEqual([100, 100]);
    expect(pages[1]?.nextToken).toBe('t-2');
    // 103 pre-reads, and c-007 read once more by its own reconciliation.
    expect(eksMock.commandCalls(DescribeClusterCommand)).toHaveLength(104);
  });

  it('a region without clusters sweeps to no record; a page without a clusters list is failed, never "none"', async () => {
    eksMock.on(ListClustersCommand).resolvesOnce({ clusters: [] }).resolves({});
    const none = await controller().handleEvent(sweepEvent({ account: ACCOUNT, region: REGION }));
    const malformed = await controller().handleEvent(sweepEvent({ account: ACCOUNT, region: REGION }));
    expect(none).toEqual([]);
    expect(malformed).toMatchObject([{ outcome: 'failed', retryable: true, resource: { id: '*' } }]);
    expect(malformed[0]?.reason).toContain('MalformedResponse: ListClusters answered without a clusters list');
  });

  it('a sweep whose listing fails → one failed record for the region, retryable as the error says', async () => {
    eksMock.on(ListClustersCommand).rejects(awsError('AccessDeniedException', 403));
    const records = await controller().handleEvent(sweepEvent({ account: ACCOUNT, region: REGION }));
    expect(records).toMatchObject([{ outcome: 'failed', retryable: false, resource: { id: '*' } }]);
  });
});
