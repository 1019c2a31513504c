import type { Drift } from '../core/record.js';
import type { Step } from '../core/types.js';
import type { LoadBalancerRef } from './events.js';
import type { BalancerKind } from './log-bucket.js';
import { fillTemplate, type LoadBalancerLogsPolicy } from './policy.js';

/** What logwarden reads about a load balancer. */
export type LoadBalancerState =
  /** LoadBalancerNotFound: deleted. */
  | { kind: 'missing' }
  /** Not governed (a gateway, an NLB without a TLS listener, NLBs off in the policy): `reason` says why. */
  | { kind: 'ungoverned'; reason: string }
  | {
      kind: 'balancer';
      balancer: BalancerKind;
      /** DescribeLoadBalancerAttributes, as key → value (absent keys are AWS defaults: off, empty). */
      attributes: Record<string, string>;
      tags: Record<string, string>;
    };

export interface DesiredLogs {
  bucket: string;
  prefix: string;
  /** ALB connection logs to the same bucket and prefix. */
  connectionLogs: boolean;
}

/** The two log families and their attribute keys. */
const FAMILIES = {
  accessLogs: 'access_logs.s3',
  connectionLogs: 'connection_logs.s3',
} as const;
type Family = keyof typeof FAMILIES;

export type LoadBalancerStep = Step & {
  api: 'elasticloadbalancing:ModifyLoadBalancerAttributes';
  /** Whose principal must be allowed to write the log bucket. */
  balancer: BalancerKind;
  attributes: { Key: string; Value: string }[];
};

/** The log bucket of the balancer's account and region, and the policy's prefix. */
export function desiredLogs(ref: LoadBalancerRef, policy: LoadBalancerLogsPolicy): DesiredLogs {
  return {
    bucket: fillTemplate(policy.bucket, { account: ref.account, region: ref.region }),
    prefix: policy.prefix ?? '',
    connectionLogs: policy.connectionLogs,
  };
}

/** The families a balancer must have on: access logs always; connection logs on ALBs when the policy asks. */
function familiesFor(state: Extract<LoadBalancerState, { kind: 'balancer' }>, d: DesiredLogs): Family[] {
  return d.connectionLogs && state.balancer === 'application' ? ['accessLogs', 'connectionLogs'] : ['accessLogs'];
}

function familyDrift(family: Family, attributes: Record<string, string>, d: DesiredLogs): Drift[] {
  const key = FAMILIES[family];
  const drift: Drift[] = [];
  const enabled = attributes[`${key}.enabled`] === 'true';
  if (!enabled) drift.push({ property: `${family}Enabled`, observed: false, desired: true });
  const bucket = attributes[`${key}.bucket`] ?? '';
  if (bucket !== d.bucket) drift.push({ property: `${family}Bucket`, observed: bucket, desired: d.bucket });
  const prefix = attributes[`${key}.prefix`] ?? '';
  if (prefix !== d.prefix) drift.push({ property: `${family}Prefix`, observed: prefix, desired: d.prefix });
  return drift;
}

/** Compare a balancer's log attributes with the policy. Pure. Balancers not governed or gone have no drift. */
export function diffLogs(state: LoadBalancerState, d: DesiredLogs): Drift[] {
  if (state.kind !== 'balancer') return [];
  return familiesFor(state, d).flatMap((f) => familyDrift(f, state.attributes, d));
}

/** One ModifyLoadBalancerAttributes carrying every drifted family whole (enabled, bucket, prefix). Pure. */
export function planLogs(state: LoadBalancerState, d: DesiredLogs, drift: readonly Drift[]): LoadBalancerStep[] {
  if (state.kind !== 'balancer' || drift.length === 0) return [];
  const families = familiesFor(state, d).filter((f) => drift.some((x) => x.property.startsWith(f)));
  const attributes = families.flatMap((f) => [
    { Key: `${FAMILIES[f]}.enabled`, Value: 'true' },
    { Key: `${FAMILIES[f]}.bucket`, Value: d.bucket },
    { Key: `${FAMILIES[f]}.prefix`, Value: d.prefix },
  ]);
  const names = families.map((f) => (f === 'accessLogs' ? 'access logs' : 'connection logs')).join(' and ');
  return [
    {
      api: 'elasticloadbalancing:ModifyLoadBalancerAttributes',
      description: `${names} to s3://${d.bucket}/${d.prefix ? `${d.prefix}/` : ''}`,
      balancer: state.balancer,
      attributes,
    },
  ];
}
