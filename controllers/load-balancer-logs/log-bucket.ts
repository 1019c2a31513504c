/**
 * Pure checks of a load-balancer log bucket's policy: does it let Elastic Load Balancing write the
 * account's logs under the prefix? ELB itself only tests the bucket when the attributes are
 * modified, with a message that names no statement; this tells the operator what is missing.
 */
import { iamWildcard, policyAllowsPutObject, policyList } from '../core/bucket-policy.js';
import { partitionOf } from '../core/identity.js';

/**
 * The Elastic Load Balancing account of each Region opened before August 2022 (ELB user guide,
 * "Enable access logs"): Application Load Balancer logs are written by it. Regions opened later
 * only accept the service principal {@link ELB_LOG_DELIVERY}, which every Region now accepts.
 */
export const ELB_ACCOUNTS: Readonly<Record<string, string>> = {
  'us-east-1': '127311923021',
  'us-east-2': '033677994240',
  'us-west-1': '027434742980',
  'us-west-2': '797873946194',
  'af-south-1': '098369216593',
  'ap-east-1': '754344448648',
  'ap-southeast-3': '589379963580',
  'ap-south-1': '718504428378',
  'ap-northeast-3': '383597477331',
  'ap-northeast-2': '600734575887',
  'ap-southeast-1': '114774131450',
  'ap-southeast-2': '783225319266',
  'ap-northeast-1': '582318560864',
  'ca-central-1': '985666609251',
  'eu-central-1': '054676820928',
  'eu-west-1': '156460612806',
  'eu-west-2': '652711504416',
  'eu-south-1': '635631232127',
  'eu-west-3': '009996457667',
  'eu-north-1': '897822967062',
  'me-south-1': '076674570225',
  'sa-east-1': '507241528517',
  'us-gov-west-1': '048591011584',
  'us-gov-east-1': '190560391635',
  'cn-north-1': '638102146993',
  'cn-northwest-1': '037604701340',
};

/** The service principal of Application Load Balancer access and connection logs. */
export const ELB_LOG_DELIVERY = 'logdelivery.elasticloadbalancing.amazonaws.com';
/** Network Load Balancer access logs are delivered by CloudWatch Logs' delivery service. */
export const NLB_LOG_DELIVERY = 'delivery.logs.amazonaws.com';

export type BalancerKind = 'application' | 'network';

/** Who writes a balancer's logs: for an NLB the log delivery service; for an ALB ELB's principal or its Region's account. */
export function logWritersFor(kind: BalancerKind, region: string): { services: string[]; accounts: string[] } {
  if (kind === 'network') return { services: [NLB_LOG_DELIVERY], accounts: [] };
  const account = ELB_ACCOUNTS[region];
  return { services: [ELB_LOG_DELIVERY], accounts: account ? [account] : [] };
}

/** The object key of the account's logs: `[prefix/]AWSLogs/<account>/…`. */
export function logObjectArn(bucket: string, prefix: string, account: string, region: string): string {
  return `arn:${partitionOf(region)}:s3:::${bucket}/${prefix ? `${prefix}/` : ''}AWSLogs/${account}/logwarden-probe`;
}

function principalMatches(principal: unknown, writers: { services: string[]; accounts: string[] }): boolean {
  if (principal === '*') return true;
  if (!principal || typeof principal !== 'object') return false;
  const p = principal as Record<string, unknown>;
  if (policyList(p.Service).some((s) => typeof s === 'string' && writers.services.includes(s))) return true;
  return policyList(p.AWS).some(
    (a) =>
      a === '*' ||
      (typeof a === 'string' &&
        writers.accounts.some((acct) => a === acct || /^arn:aws[a-z-]*:iam::(\d{12}):root$/.exec(a)?.[1] === acct)),
  );
}

/** Conditions logwarden can judge: aws:SourceAccount. Others (s3:x-amz-acl, aws:SourceArn) are assumed to hold. */
function conditionsHold(condition: unknown, account: string): boolean {
  if (!condition || typeof condition !== 'object') return true;
  for (const [operator, block] of Object.entries(condition as Record<string, unknown>)) {
    if (!block || typeof block !== 'object') continue;
    const negated = /^StringNot/.test(operator);
    for (const [key, expected] of Object.entries(block as Record<string, unknown>)) {
      if (key.toLowerCase() !== 'aws:sourceaccount') continue;
      const like = /Like$/.test(operator);
      const hit = policyList(expected).some((e) => typeof e === 'string' && (like ? iamWildcard(e, account) : e === account));
      if (hit === negated) return false;
    }
  }
  return true;
}

export interface LogDeliveryTarget {
  bucket: string;
  prefix: string;
  /** The account whose load balancers write (the key holds `AWSLogs/<account>/`). */
  account: string;
  region: string;
  kind: BalancerKind;
}

/**
 * Does a bucket policy let Elastic Load Balancing write the account's logs under the prefix? Pure.
 * An explicit Deny of s3:PutObject on the key to the writer (or everyone) wins; an Allow must name
 * the writer (or everyone), s3:PutObject and a resource covering `<bucket>/<prefix>/AWSLogs/<account>/*`,
 * with an aws:SourceAccount condition (if any) that admits the account. Unreadable policy: false.
 */
export function policyAllowsElbDelivery(policyText: string, target: LogDeliveryTarget): boolean {
  const writers = logWritersFor(target.kind, target.region);
  return policyAllowsPutObject(policyText, {
    objectArn: logObjectArn(target.bucket, target.prefix, target.account, target.region),
    principal: (p) => principalMatches(p, writers),
    conditionsHold: (c) => conditionsHold(c, target.account),
  });
}

/** Who the policy must name, for a message. */
export function describeWriters(kind: BalancerKind, region: string): string {
  const { services, accounts } = logWritersFor(kind, region);
  return [...services, ...accounts.map((a) => `arn:aws:iam::${a}:root`)].join(' or ');
}
