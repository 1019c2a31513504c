import { describe, expect, it } from 'vitest';
import type { CloudTrailDetail } from '../../controllers/core/types.js';
import {
  type ClusterState,
  desiredLogging,
  diffLogging,
  LOGGING_OFF_DRIFT,
  planLogging,
  reportOnlyReason,
  skipReasonOf,
} from '../../controllers/eks-control-plane-logs/diff.js';
import {
  CLUSTER_EVENT_SAMPLE,
  clusterRef,
  refsFromEvent,
  resolveCluster,
} from '../../controllers/eks-control-plane-logs/events.js';
import { eksControlPlaneLogs } from '../../controllers/eks-control-plane-logs/index.js';
import { eksControlPlaneLogsPolicySchema } from '../../controllers/eks-control-plane-logs/policy.js';

const where = { account: '123456789012', region: 'us-east-1' };
const ref = clusterRef('payments-prod', where.account, where.region);
const policy = (extra: Record<string, unknown> = {}) => eksControlPlaneLogsPolicySchema.parse({ mode: 'remediate', ...extra });
const desired = (extra: Record<string, unknown> = {}) => desiredLogging(ref, policy(extra));
const detail = (
  eventName: string,
  requestParameters: Record<string, unknown> | null,
  responseElements: Record<string, unknown> | null = null,
): CloudTrailDetail => ({
  eventName,
  eventSource: 'eks.amazonaws.com',
  eventID: 'e-1',
  awsRegion: where.region,
  recipientAccountId: where.account,
  errorCode: null,
  userIdentity: null,
  requestParameters,
  responseElements,
});
const cluster = (over: Partial<Extract<ClusterState, { kind: 'cluster' }>> = {}): ClusterState => ({
  kind: 'cluster',
  arn: ref.arn,
  status: 'ACTIVE',
  connected: false,
  enabledTypes: ['api', 'audit', 'authenticator'],
  tags: {},
  acceptedUpdate: null,
  ...over,
});

describe('eks-control-plane-logs policy', () => {
  it('defaults to api, audit and authenticator in remediate mode', () => {
    expect(eksControlPlaneLogsPolicySchema.parse({})).toEqual({ mode: 'remediate', logTypes: ['api', 'audit', 'authenticator'] });
  });
  it.each([
    [{ logTypes: [] }, 'logTypes: must name at least one log type'],
    [{ logTypes: ['api', 'api'] }, 'logTypes.1: duplicate log type api'],
    [{ logTypes: ['kubelet'] }, 'logTypes.0'],
    [{ logTypes: 'api' }, 'logTypes'],
    [{ logtypes: ['api'] }, 'logtypes'],
    [{ mode: 'fix' }, 'mode'],
  ])('rejects %j naming the field', (section, field) => {
    const result = eksControlPlaneLogsPolicySchema.safeParse(section);
    expect(result.success).toBe(false);
    const issues = result.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') ?? '';
    expect(issues).toContain(field);
  });
  it('accepts any subset of the five types', () => {
    expect(policy({ logTypes: ['scheduler', 'controllerManager'] }).logTypes).toEqual(['scheduler', 'controllerManager']);
  });
});

describe('eks-control-plane-logs events', () => {
  it('the UpdateClusterConfig sample names the cluster in requestParameters.name', () => {
    const sample = CLUSTER_EVENT_SAMPLE;
    expect(
      refsFromEvent(detail('UpdateClusterConfig', sample.requestParameters, sample.responseElements ?? null), where),
    ).toEqual({
      refs: [clusterRef('demo-platform-eks', where.account, where.region)],
    });
  });
  it('the CreateCluster sample names the new cluster', () => {
    const sample = CLUSTER_EVENT_SAMPLE.perEvent?.CreateCluster;
    const resolution = refsFromEvent(
      detail('CreateCluster', sample?.requestParameters ?? {}, sample?.responseElements ?? null),
      where,
    );
    expect(resolution).toMatchObject({
      refs: [{ id: 'demo-new-eks', arn: 'arn:aws:eks:us-east-1:123456789012:cluster/demo-new-eks' }],
    });
  });
  it('an older record with clusterName, or only the response cluster, still names the cluster', () => {
    expect(refsFromEvent(detail('CreateCluster', { clusterName: 'test' }), where)).toMatchObject({ refs: [{ id: 'test' }] });
    expect(
      refsFromEvent(
        detail('CreateCluster', {}, { cluster: { arn: 'arn:aws:eks:us-east-1:123456789012:cluster/from-arn' } }),
        where,
      ),
    ).toMatchObject({ refs: [{ id: 'from-arn' }] });
  });
  it('a cluster ARN of this account and region resolves; of another account or region it is ignored', () => {
    expect(resolveCluster('arn:aws:eks:us-east-1:123456789012:cluster/a', where)).toMatchObject({ refs: [{ id: 'a' }] });
    expect(resolveCluster('arn:aws:eks:us-east-1:111111111111:cluster/a', where)).toMatchObject({
      ignore: 'cluster a belongs to account 111111111111; it is governed in that account',
    });
    expect(resolveCluster('arn:aws:eks:eu-west-1:123456789012:cluster/a', where)).toMatchObject({
      ignore: 'cluster a is in eu-west-1; only the eu-west-1 controller changes it',
    });
  });
  it.each([
    [null, 'UpdateClusterConfig event without requestParameters; cannot tell which cluster'],
    [{ name: 7 }, 'UpdateClusterConfig event without a string requestParameters.name'],
    [{ name: '' }, 'UpdateClusterConfig event without a string requestParameters.name'],
    [{ name: 'a b' }, '"a b" is not an EKS cluster name'],
    [{ name: 'x'.repeat(101) }, `"${'x'.repeat(100)}" is not an EKS cluster name`],
    [{ name: 'x'.repeat(3000) }, 'UpdateClusterConfig event with an oversized cluster name (3000 chars)'],
  ])('malformed %j is ignored with the reason', (params, reason) => {
    expect(refsFromEvent(detail('UpdateClusterConfig', params as Record<string, unknown> | null), where)).toMatchObject({
      ignore: reason,
    });
  });
});

describe('eks-control-plane-logs diff and plan', () => {
  it('compliant: every policy type enabled → no drift, no step', () => {
    expect(diffLogging(cluster(), desired())).toEqual([]);
    expect(planLogging(cluster(), desired(), [])).toEqual([]);
  });
  it('extra enabled types are fine', () => {
    expect(diffLogging(cluster({ enabledTypes: ['api', 'audit', 'authenticator', 'scheduler'] }), desired())).toEqual([]);
  });
  it('a missing type is drift, and the one step enables only the missing types, in policy order', () => {
    const state = cluster({ enabledTypes: ['audit', 'scheduler'] });
    const drift = diffLogging(state, desired());
    expect(drift).toEqual([
      { property: 'logTypes.api', observed: false, desired: true },
      { property: 'logTypes.authenticator', observed: false, desired: true },
    ]);
    expect(planLogging(state, desired(), drift)).toEqual([
      {
        api: 'eks:UpdateClusterConfig',
        description: 'enable control-plane log type(s) api, authenticator',
        types: ['api', 'authenticator'],
        clusterStatus: 'ACTIVE',
      },
    ]);
  });
  it('the policy logTypes are what is compared', () => {
    const state = cluster({ enabledTypes: ['api'] });
    expect(diffLogging(state, desired({ logTypes: ['api'] }))).toEqual([]);
    expect(diffLogging(state, desired({ logTypes: ['scheduler'] })).map((d) => d.property)).toEqual(['logTypes.scheduler']);
  });
  it('types of an update EKS accepted count as on (verification of the asynchronous update)', () => {
    const state = cluster({ enabledTypes: ['api'], acceptedUpdate: { id: 'u1', status: 'InProgress', types: ['audit'] } });
    expect(diffLogging(state, desired()).map((d) => d.property)).toEqual(['logTypes.authenticator']);
  });
  it('a missing cluster has no drift and no step; the status travels with the step', () => {
    expect(diffLogging({ kind: 'missing' }, desired())).toEqual([]);
    expect(planLogging({ kind: 'missing' }, desired(), [{ property: 'logTypes.api', observed: false, desired: true }])).toEqual(
      [],
    );
    const creating = cluster({ status: 'CREATING', enabledTypes: [] });
    expect(planLogging(creating, desired(), diffLogging(creating, desired()))[0]?.clusterStatus).toBe('CREATING');
  });
  it('every drift property is logging-off drift', () => {
    const drift = diffLogging(cluster({ enabledTypes: [] }), desired({ logTypes: ['api', 'scheduler'] }));
    for (const d of drift) expect(LOGGING_OFF_DRIFT).toContain(d.property);
    expect(eksControlPlaneLogs.loggingOffDrift).toEqual(LOGGING_OFF_DRIFT);
  });
});

describe('eks-control-plane-logs skip and report-only', () => {
  it('an ACTIVE cluster is governed', () => {
    expect(skipReasonOf(ref, cluster())).toBeNull();
    expect(reportOnlyReason(cluster(), 'runbooks/x.md')).toBeNull();
  });
  it('a missing cluster is skipped with the reason', () => {
    expect(skipReasonOf(ref, { kind: 'missing' })).toContain('does not exist (ResourceNotFoundException)');
  });
  it('a cluster being deleted is skipped with the reason', () => {
    expect(skipReasonOf(ref, cluster({ status: 'DELETING' }))).toBe(
      'cluster payments-prod is being deleted (status DELETING): its control plane and its logs go with it; nothing to restore',
    );
  });
  it('a connected cluster is skipped: EKS does not run its control plane', () => {
    expect(skipReasonOf(ref, cluster({ connected: true }))).toContain('connected cluster (EKS Connector)');
  });
  it('a FAILED cluster is only reported', () => {
    expect(reportOnlyReason(cluster({ status: 'FAILED' }), 'runbooks/x.md')).toBe(
      'cluster is FAILED: EKS accepts no logging update on it; repair or delete it (see runbooks/x.md)',
    );
  });
});
