import type { AnyGuardrail, CloudTrailDetail, Resolution, ResourceRef } from '../core/types.js';

export const RESOURCE_TYPE = 'AWS::ElasticLoadBalancingV2::LoadBalancer';

/**
 * The ELBv2 events that can leave a governed load balancer without access logs: a new one, its
 * attributes changed, a TLS listener added to (or made on) a Network Load Balancer.
 */
export const LOAD_BALANCER_EVENTS = [
  'CreateLoadBalancer',
  'ModifyLoadBalancerAttributes',
  'CreateListener',
  'ModifyListener',
] as const;

const SAMPLE_ALB = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/demo-web-alb/50dc6c495c0c9188';
const SAMPLE_NLB = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/demo-tls-nlb/2a5e8e0f3c7b9d14';

/**
 * Plausible records of {@link LOAD_BALANCER_EVENTS} (API 2015-12-01, lowerCamel keys). The base sample
 * is the ModifyLoadBalancerAttributes that switches access logs off, whose response echoes the
 * attributes; CreateLoadBalancer answers the new balancer in `loadBalancers`; CreateListener and
 * ModifyListener carry the protocol and answer the listener in `listeners`.
 */
export const LOAD_BALANCER_EVENT_SAMPLE: AnyGuardrail['cloudTrailEvents'][number]['sample'] = {
  requestParameters: { loadBalancerArn: SAMPLE_ALB, attributes: [{ key: 'access_logs.s3.enabled', value: 'false' }] },
  responseElements: { attributes: [{ key: 'access_logs.s3.enabled', value: 'false' }] },
  perEvent: {
    CreateLoadBalancer: {
      requestParameters: {
        name: 'demo-new-alb',
        subnets: ['subnet-0a1b2c3d4e5f60718', 'subnet-0b2c3d4e5f6071829'],
        securityGroups: ['sg-0c3d4e5f60718293a'],
        scheme: 'internet-facing',
        type: 'application',
      },
      responseElements: {
        loadBalancers: [
          {
            loadBalancerArn: SAMPLE_ALB.replace('demo-web-alb/50dc6c495c0c9188', 'demo-new-alb/7f3c1e2d4b5a6978'),
            dNSName: 'demo-new-alb-1234567890.us-east-1.elb.amazonaws.com',
            canonicalHostedZoneId: 'Z35SXDOTRQ7X7K',
            createdTime: 'Nov 30, 2025, 10:12:01 AM',
            loadBalancerName: 'demo-new-alb',
            scheme: 'internet-facing',
            vpcId: 'vpc-0123456789abcdef0',
            state: { code: 'provisioning' },
            type: 'application',
            availabilityZones: [
              { zoneName: 'us-east-1a', subnetId: 'subnet-0a1b2c3d4e5f60718' },
              { zoneName: 'us-east-1b', subnetId: 'subnet-0b2c3d4e5f6071829' },
            ],
            securityGroups: ['sg-0c3d4e5f60718293a'],
            ipAddressType: 'ipv4',
          },
        ],
      },
    },
    CreateListener: {
      requestParameters: {
        loadBalancerArn: SAMPLE_NLB,
        protocol: 'TLS',
        port: 443,
        certificates: [{ certificateArn: 'arn:aws:iam::123456789012:server-certificate/demo-tls' }],
        sslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
        defaultActions: [
          {
            type: 'forward',
            targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/demo-tls/1c2d3e4f5a6b7c8d',
          },
        ],
      },
      responseElements: {
        listeners: [
          {
            listenerArn: `${SAMPLE_NLB.replace(':loadbalancer/', ':listener/')}/8e9f0a1b2c3d4e5f`,
            loadBalancerArn: SAMPLE_NLB,
            port: 443,
            protocol: 'TLS',
          },
        ],
      },
    },
    ModifyListener: {
      requestParameters: {
        listenerArn: `${SAMPLE_NLB.replace(':loadbalancer/', ':listener/')}/8e9f0a1b2c3d4e5f`,
        protocol: 'TLS',
      },
      responseElements: {
        listeners: [
          { listenerArn: `${SAMPLE_NLB.replace(':loadbalancer/', ':listener/')}/8e9f0a1b2c3d4e5f`, protocol: 'TLS', port: 443 },
        ],
      },
    },
  },
};

export interface LoadBalancerRef extends ResourceRef {
  type: typeof RESOURCE_TYPE;
  /** The load balancer's ARN (what AWS Config uses as its resource id). */
  id: string;
  arn: string;
  /** The account in the ARN (the log bucket's name and key depend on it). */
  account: string;
  name: string;
}

/** `arn:<partition>:elasticloadbalancing:<region>:<account>:loadbalancer/<app|net|gwy>/<name>/<id>` */
const LB_ARN =
  /^arn:aws[a-z-]*:elasticloadbalancing:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):loadbalancer\/(app|net|gwy)\/([A-Za-z0-9-]{1,32})\/([0-9a-f]{1,32})$/;
/** A listener's ARN is its load balancer's with `listener/` and one more id segment. */
const LISTENER_ARN =
  /^(arn:aws[a-z-]*:elasticloadbalancing:[^:]+:\d{12}:)listener\/((?:app|net|gwy)\/[^/]+\/[0-9a-f]+)\/[0-9a-f]+$/;

interface ParsedArn {
  region: string;
  account: string;
  /** The type segment. Only `gwy` is trusted before a read (the emulator writes `app` for every type). */
  segment: 'app' | 'net' | 'gwy';
  name: string;
}

export function parseLoadBalancerArn(arn: string): ParsedArn | null {
  const m = LB_ARN.exec(arn);
  if (!m) return null;
  return { region: m[1] as string, account: m[2] as string, segment: m[3] as ParsedArn['segment'], name: m[4] as string };
}

/** The load balancer ARN of a listener ARN, or null. Pure. */
export function loadBalancerOfListener(listenerArn: string): string | null {
  const m = LISTENER_ARN.exec(listenerArn);
  return m ? `${m[1]}loadbalancer/${m[2]}` : null;
}

export function loadBalancerRef(arn: string, parsed: ParsedArn): LoadBalancerRef {
  return { type: RESOURCE_TYPE, id: arn, arn, region: parsed.region, account: parsed.account, name: parsed.name };
}

/** Resolve a load balancer ARN to a ref in this account and region, or say why it is not governed. Pure. */
export function resolveLoadBalancer(arn: string, scope: { account: string; region: string }): Resolution<LoadBalancerRef> {
  const parsed = parseLoadBalancerArn(arn);
  if (!parsed)
    return {
      ignore: `"${arn.slice(0, 200)}" is not an Elastic Load Balancing v2 load balancer ARN`,
      resource: { id: arn.slice(0, 200) },
    };
  const hint = { id: arn, arn };
  if (parsed.account !== scope.account) {
    return { ignore: `load balancer ${parsed.name} belongs to account ${parsed.account}; it is governed there`, resource: hint };
  }
  if (parsed.region !== scope.region) {
    return {
      ignore: `load balancer ${parsed.name} is in ${parsed.region}; only the ${parsed.region} controller changes it`,
      resource: hint,
    };
  }
  if (parsed.segment === 'gwy') {
    return { ignore: `load balancer ${parsed.name} is a Gateway Load Balancer: it has no access logs`, resource: hint };
  }
  return { refs: [loadBalancerRef(arn, parsed)] };
}

const obj = (v: unknown): Record<string, unknown> | null =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);

/** Classic Load Balancer records (API 2012-06-01) come from the same source and name the balancer, not an ARN. */
function classicName(detail: CloudTrailDetail): string | null {
  const params = detail.requestParameters;
  if (!params || str(params.loadBalancerArn) || str(params.listenerArn)) return null;
  return str(params.loadBalancerName);
}

/** The new balancer's ARN from a CreateLoadBalancer response: `{loadBalancers: [{loadBalancerArn, ...}]}`. */
function createdArn(detail: CloudTrailDetail): string | null {
  const list = detail.responseElements?.loadBalancers;
  const first = Array.isArray(list) ? obj(list[0]) : null;
  return str(first?.loadBalancerArn);
}

const LOG_ATTRIBUTE = /^(access_logs|connection_logs)\./;

/** Attribute keys of a ModifyLoadBalancerAttributes request, or null when they cannot be read (then re-read). */
function attributeKeys(params: Record<string, unknown>): string[] | null {
  const list = params.attributes;
  if (!Array.isArray(list) || list.length === 0) return null;
  const keys = list.map((a) => str(obj(a)?.key));
  return keys.every((k): k is string => k !== null) ? keys : null;
}

/** Why a listener event cannot make a balancer governed (only a TLS listener can), or null to re-read. */
function listenerIrrelevant(detail: CloudTrailDetail): string | null {
  const protocol = detail.requestParameters?.protocol;
  if (protocol === 'TLS') return null;
  if (protocol === undefined && detail.eventName === 'CreateListener') return null;
  const what =
    typeof protocol === 'string' ? `a ${protocol.slice(0, 20)} listener` : "a change that keeps the listener's protocol";
  return `${detail.eventName} with ${what}: only a TLS listener makes a Network Load Balancer governed`;
}

/** Which load balancer ARN an event names, or why nothing is to be done. */
function targetArn(detail: CloudTrailDetail): string | { ignore: string } {
  const params = detail.requestParameters ?? {};
  switch (detail.eventName) {
    case 'CreateLoadBalancer':
      return (
        createdArn(detail) ?? {
          ignore: 'CreateLoadBalancer event without responseElements.loadBalancers[0].loadBalancerArn; the sweep covers it',
        }
      );
    case 'ModifyLoadBalancerAttributes': {
      const keys = attributeKeys(params);
      if (keys && !keys.some((k) => LOG_ATTRIBUTE.test(k))) {
        return { ignore: `ModifyLoadBalancerAttributes changed no log attribute (${keys.join(', ').slice(0, 200)})` };
      }
      return (
        str(params.loadBalancerArn) ?? {
          ignore: 'ModifyLoadBalancerAttributes event without a string requestParameters.loadBalancerArn',
        }
      );
    }
    default: {
      const irrelevant = listenerIrrelevant(detail);
      if (irrelevant) return { ignore: irrelevant };
      const listener = str(params.listenerArn);
      const arn = str(params.loadBalancerArn) ?? (listener ? loadBalancerOfListener(listener) : null);
      return arn ?? { ignore: `${detail.eventName} event without a load balancer or listener ARN in requestParameters` };
    }
  }
}

/**
 * Which load balancer an ELBv2 record is about. Pure. Only the ARN (and, to skip what cannot turn
 * logs off, the attribute keys or listener protocol) is read: the attributes' values are never
 * trusted, the controller re-reads the balancer.
 */
export function refsFromEvent(detail: CloudTrailDetail, scope: { account: string; region: string }): Resolution<LoadBalancerRef> {
  const classic = classicName(detail);
  if (classic) {
    return {
      ignore: `${detail.eventName} for Classic Load Balancer ${classic.slice(0, 32)} (API 2012-06-01): classic load balancers are not governed by this guardrail`,
      resource: { id: classic.slice(0, 32) },
    };
  }
  const arn = targetArn(detail);
  return typeof arn === 'string' ? resolveLoadBalancer(arn, scope) : arn;
}
