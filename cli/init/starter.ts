import { ownRoleArnTemplate } from '../../controllers/core/identity.js';
import { parsePolicy } from '../../controllers/core/policy.js';
import type { AnyGuardrail } from '../../controllers/core/types.js';
import type { AccountFacts, BucketFact, FlowLogFact, RegionFacts, TrailFact } from './facts.js';

/**
 * The starter policy of `logwarden init`, built from what was read (AccountFacts) by a pure function:
 * every guardrail in `notify` mode, its values from the account where they were found, else safe
 * defaults. Each choice is explained in docs/config/init.md.
 */

type Section = Record<string, unknown>;

/** A guardrail's section and why, or why it was left out (and what to fill in). */
type SectionOutcome = { section: Section; why: string } | { leftOut: string };

export interface StarterPolicy {
  /** The policy document, validated with parsePolicy against the guardrails given. */
  document: { version: 1; controller: Section; audit: { eventBus: string }; guardrails: Record<string, Section> };
  /** One line per choice, for the summary on stderr. */
  choices: string[];
  /** One line per guardrail left out: what to fill in. */
  leftOut: string[];
}

/** The most frequent value (first seen wins a tie), or undefined for an empty list. */
function mostCommon<T>(values: readonly T[], key: (value: T) => string = String): T | undefined {
  const counts = new Map<string, { value: T; count: number }>();
  for (const value of values) {
    const entry = counts.get(key(value)) ?? { value, count: 0 };
    entry.count += 1;
    counts.set(key(value), entry);
  }
  let best: { value: T; count: number } | undefined;
  for (const entry of counts.values()) if (!best || entry.count > best.count) best = entry;
  return best?.value;
}

/** Replace the account id and the region by their placeholders, so one value serves every account and region. */
function templated(value: string, account: string, region?: string): string {
  const withAccount = value.split(account).join('{account}');
  return region ? withAccount.split(region).join('{region}') : withAccount;
}

/**
 * Regions in use: a VPC besides the default one, the home of a trail, or a GuardDuty detector. Default
 * VPCs exist in every region whether used or not, so they do not count; a multi-region trail counts
 * only in its home region (it shows in every region).
 */
export function regionsInUse(facts: AccountFacts): { region: string; reasons: string[] }[] {
  const inUse = facts.regions.map((r) => ({ region: r.region, reasons: reasonsOfUse(r) })).filter((r) => r.reasons.length > 0);
  return inUse.length > 0 ? inUse : [{ region: facts.homeRegion, reasons: ['no region in use: the region the CLI runs in'] }];
}

function reasonsOfUse(r: RegionFacts): string[] {
  return [
    ...(r.nonDefaultVpcs > 0 ? [`${r.nonDefaultVpcs} VPC(s) besides the default`] : []),
    ...r.trails.map((t) => `home of trail ${t.name}`),
    ...(r.detector ? ['a GuardDuty detector'] : []),
  ];
}

function trailSection(trail: TrailFact & { s3BucketName: string }, account: string): Section {
  return {
    name: trail.name,
    homeRegion: trail.homeRegion,
    // An organization trail must name the one account that owns it: this one.
    ...(trail.isOrganizationTrail ? { accounts: [account], isOrganizationTrail: true } : {}),
    s3BucketName: trail.s3BucketName,
    ...(trail.s3KeyPrefix ? { s3KeyPrefix: trail.s3KeyPrefix } : {}),
    ...(trail.kmsKeyId ? { kmsKeyId: trail.kmsKeyId } : {}),
    // Log file validation and global service events are left at their defaults (on): a starter policy
    // asks for the safe setting and notify mode reports where the trail falls short (see weakSettingsOf).
    isMultiRegionTrail: true,
  };
}

/** What the trail has switched off that the policy wants on: it will be reported as drift. */
function weakSettingsOf(trail: TrailFact): string[] {
  return [
    ...(trail.isLogging ? [] : ['NOT logging']),
    ...(trail.logFileValidationEnabled ? [] : ['log file validation off']),
    ...(trail.includeGlobalServiceEvents ? [] : ['global service events off']),
  ];
}

/** Multi-region trails this account owns: they cover every region, so the policy governs them by name. */
function cloudtrailOutcome(facts: AccountFacts): SectionOutcome {
  const all = facts.regions.flatMap((r) => r.trails);
  const governed = all.filter(
    (t): t is TrailFact & { s3BucketName: string } =>
      t.ownerAccount === facts.account && t.isMultiRegionTrail && t.s3BucketName !== undefined,
  );
  if (governed.length === 0) {
    const found = all.length > 0 ? ` (found only ${all.map((t) => t.name).join(', ')})` : '';
    return {
      leftOut: `cloudtrail: no multi-region trail of this account${found}; add trails[] with name, homeRegion and s3BucketName`,
    };
  }
  const described = governed.map((t) => {
    const weak = weakSettingsOf(t).map((w) => `, will report: ${w}`);
    return `${t.name} (home ${t.homeRegion}, bucket ${t.s3BucketName}${weak.join('')})`;
  });
  return {
    section: { mode: 'notify', trails: governed.map((t) => trailSection(t, facts.account)) },
    why: `governs multi-region trail(s) ${described.join(', ')}`,
  };
}

/** `arn:aws:s3:::bucket/some/prefix/` → the bucket ARN and the prefix (no surrounding slashes). */
function splitS3Destination(destination: string): { bucketArn: string; prefix?: string } {
  const [, bucketArn = destination, rest = ''] = /^(arn:[^:]+:s3:::[^/]+)\/?(.*)$/.exec(destination) ?? [];
  const prefix = rest.replace(/^\/+|\/+$/g, '');
  return prefix ? { bucketArn, prefix } : { bucketArn };
}

/** Traffic type of the flow logs using the chosen destination when they agree, else ALL (everything). */
function trafficTypeOf(flowLogs: readonly FlowLogFact[]): string {
  const types = new Set(flowLogs.map((f) => f.trafficType));
  return types.size === 1 ? ([...types][0] ?? 'ALL') : 'ALL';
}

/**
 * The S3 destination most flow logs use. A central bucket serves every region; a log group is one
 * region's, so it is proposed only when a single region is governed.
 */
function flowLogsOutcome(facts: AccountFacts, governed: readonly string[]): SectionOutcome {
  const all = facts.regions.flatMap((r) => r.flowLogs);
  const s3 = all.filter((f): f is Extract<FlowLogFact, { type: 's3' }> => f.type === 's3');
  const key = (f: { destination: string }) => JSON.stringify(splitS3Destination(f.destination));
  const chosen = mostCommon(s3, key);
  if (chosen) {
    const using = s3.filter((f) => key(f) === key(chosen));
    const destination = { type: 's3', ...splitS3Destination(chosen.destination) };
    return {
      section: { mode: 'notify', trafficType: trafficTypeOf(using), destination },
      why: `destination ${chosen.destination} (used by ${using.length} of ${all.length} flow log(s))`,
    };
  }
  const cwl = facts.regions
    .flatMap((r) => r.flowLogs.map((f) => ({ ...f, region: r.region })))
    .filter((f) => f.type === 'cloud-watch-logs');
  const group = mostCommon(cwl, (f) => `${f.region}|${f.logGroupName}|${f.deliveryRoleArn}`);
  if (group && governed.length === 1 && group.region === governed[0]) {
    const logGroupArn = `arn:aws:logs:${group.region}:${facts.account}:log-group:${group.logGroupName}`;
    return {
      section: {
        mode: 'notify',
        trafficType: group.trafficType,
        destination: { type: 'cloud-watch-logs', logGroupArn, deliveryRoleArn: group.deliveryRoleArn },
      },
      why: `destination log group ${group.logGroupName} (the only governed region's)`,
    };
  }
  return { leftOut: 'flow-logs: no flow log delivers to an S3 bucket; set destination ({ "type": "s3", "bucketArn": ... })' };
}

const LOG_BUCKET_PREFIX_FORM = /^([a-z0-9][a-z0-9.-]{0,40})-\{account\}-\{region\}$/;
const DEFAULT_LOG_BUCKET_PREFIX = 's3-access-logs';

/**
 * Buckets this controller would fight over with their owner tooling: CDK bootstrap asset buckets, one
 * exact name per qualifier, anchored by `{account}` and `{region}` (no wildcard: anyone could name a
 * bucket to match one and escape access logging).
 */
function proposedExclusions(bucketNames: readonly string[], account: string): string[] {
  const cdkAssets = new RegExp(`^cdk-([a-z0-9]+)-assets-${account}-[a-z]{2}(?:-[a-z]+)+-\\d$`);
  const qualifiers = new Set(bucketNames.flatMap((name) => cdkAssets.exec(name)?.[1] ?? []));
  return [...qualifiers].sort().map((q) => `cdk-${q}-assets-{account}-{region}`);
}

function logBucketOf(template: string): Section {
  const prefixForm = LOG_BUCKET_PREFIX_FORM.exec(template);
  return prefixForm ? { prefix: prefixForm[1] } : { template };
}

/** The target-bucket pattern the sampled buckets log to (with `{region}`: S3 delivers within a region), else the default. */
function bucketLoggingOutcome(facts: AccountFacts): SectionOutcome {
  const logging = facts.buckets.filter((b): b is Required<BucketFact> => b.logging !== undefined);
  const patternOf = (b: Required<BucketFact>) => templated(b.logging.targetBucket, facts.account, b.region);
  const chosen = mostCommon(
    logging.filter((b) => patternOf(b).includes('{region}')),
    patternOf,
  );
  const excludeBuckets = proposedExclusions(facts.bucketNames, facts.account);
  const common = excludeBuckets.length > 0 ? { excludeBuckets } : {};
  if (!chosen) {
    const section = { mode: 'notify', logBucket: { prefix: DEFAULT_LOG_BUCKET_PREFIX }, ...common };
    const why = `no per-region log bucket in use on ${facts.buckets.length} sampled bucket(s); proposes ${DEFAULT_LOG_BUCKET_PREFIX}-{account}-{region}`;
    return { section, why };
  }
  const pattern = patternOf(chosen);
  const using = logging.filter((b) => patternOf(b) === pattern);
  const targetPrefix = mostCommon(
    using.map((b) => templated(b.logging.targetPrefix.split(b.name).join('{bucket}'), facts.account, b.region)),
  );
  const keyFormat = mostCommon(using.map((b) => b.logging.keyFormat)) ?? 'EventTime';
  const section = {
    mode: 'notify',
    logBucket: logBucketOf(pattern),
    ...(targetPrefix && targetPrefix !== '{bucket}/' ? { targetPrefix } : {}),
    targetObjectKeyFormat:
      keyFormat === 'simple' ? { simplePrefix: {} } : { partitionedPrefix: { partitionDateSource: keyFormat } },
    ...common,
  };
  return { section, why: `log bucket ${pattern} (used by ${using.length} of ${facts.buckets.length} sampled bucket(s))` };
}

const GUARDDUTY_FEATURES = [
  'S3_DATA_EVENTS',
  'EKS_AUDIT_LOGS',
  'EBS_MALWARE_PROTECTION',
  'RDS_LOGIN_EVENTS',
  'EKS_RUNTIME_MONITORING',
  'LAMBDA_NETWORK_LOGS',
  'RUNTIME_MONITORING',
];

/** The features enabled on every detector found: governing them keeps what is on, switches nothing else on. */
function guarddutyOutcome(facts: AccountFacts): SectionOutcome {
  const detectors = facts.regions.flatMap((r) => (r.detector ? [r.detector] : []));
  if (detectors.length === 0) {
    return { section: { mode: 'notify' }, why: 'no detector found: each governed region will report a missing detector' };
  }
  const enabled = GUARDDUTY_FEATURES.filter((name) => detectors.every((d) => d.features[name] === 'ENABLED'))
    // GuardDuty rejects both runtime plans together; RUNTIME_MONITORING covers EKS.
    .filter((name, _i, all) => !(name === 'EKS_RUNTIME_MONITORING' && all.includes('RUNTIME_MONITORING')));
  const frequency = mostCommon(detectors.flatMap((d) => (d.findingPublishingFrequency ? [d.findingPublishingFrequency] : [])));
  const section = {
    mode: 'notify',
    ...(frequency ? { findingPublishingFrequency: frequency } : {}),
    features: Object.fromEntries(enabled.map((name) => [name, 'ENABLED'])),
  };
  const features = enabled.length > 0 ? enabled.join(', ') : 'none';
  return {
    section,
    why: `${detectors.length} detector(s); frequency ${frequency ?? 'not governed'}; features enabled everywhere: ${features}`,
  };
}

/** The first recorder with a delivery channel, in region order; its role and bucket, templated for every account and region. */
function configRecorderOutcome(facts: AccountFacts): SectionOutcome {
  const withChannel = facts.regions.flatMap((r) =>
    r.recorder?.channel ? [{ region: r.region, recorder: r.recorder, channel: r.recorder.channel }] : [],
  );
  const first = withChannel[0];
  if (!first) {
    return {
      leftOut: 'config-recorder: no AWS Config recorder with a delivery channel; set roleArn and deliveryChannel.bucketName',
    };
  }
  const { region, recorder, channel } = first;
  const globalRegions = withChannel.filter((r) => r.recorder.includeGlobalResourceTypes).map((r) => r.region);
  const section = {
    mode: 'notify',
    roleArn: templated(recorder.roleArn, facts.account),
    ...(recorder.allSupported ? {} : { allSupported: false, resourceTypes: recorder.resourceTypes }),
    // Global IAM types are recorded once: governed only when exactly one region records them.
    ...(recorder.allSupported && globalRegions.length === 1 ? { globalResourceTypesRegion: globalRegions[0] } : {}),
    deliveryChannel: {
      bucketName: templated(channel.bucketName, facts.account, region),
      ...(channel.keyPrefix ? { keyPrefix: channel.keyPrefix } : {}),
      ...(channel.snsTopicArn ? { snsTopicArn: templated(channel.snsTopicArn, facts.account, region) } : {}),
      ...(channel.deliveryFrequency ? { deliveryFrequency: channel.deliveryFrequency } : {}),
    },
  };
  return { section, why: `recorder ${recorder.name} of ${region}: role ${recorder.roleArn}, bucket ${channel.bucketName}` };
}

/** How each guardrail's section is inferred. A guardrail missing here is left out with a note. */
const OUTCOMES: Record<string, (facts: AccountFacts, governed: readonly string[]) => SectionOutcome> = {
  cloudtrail: cloudtrailOutcome,
  'flow-logs': flowLogsOutcome,
  'bucket-logging': bucketLoggingOutcome,
  guardduty: guarddutyOutcome,
  'config-recorder': configRecorderOutcome,
  // Nothing to infer: the default log types are what an investigation needs first.
  'eks-control-plane-logs': () => ({ section: { mode: 'notify' }, why: 'default log types api, audit, authenticator' }),
  'load-balancer-logs': () => ({
    leftOut: 'load-balancer-logs: the log bucket is not read by init; set bucket (e.g. "elb-logs-{account}-{region}")',
  }),
  'resolver-query-logs': () => ({ leftOut: 'resolver-query-logs: the destination is not read by init; set destination' }),
  // It compares a deployment with its deployment.json: a CLI run before deploying has nothing to compare.
  integrity: () => ({
    leftOut:
      'integrity: checks a deployed logwarden against its deployment.json; add { "mode": "remediate" } to the policy you deploy',
  }),
};

/** A section the guardrail's own schema refuses (odd values read from the account) is left out, naming the issue. */
function checkedOutcome(guardrail: AnyGuardrail, outcome: SectionOutcome): SectionOutcome {
  if ('leftOut' in outcome) return outcome;
  const parsed = guardrail.policySchema.safeParse(outcome.section);
  if (parsed.success) return outcome;
  const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  return { leftOut: `${guardrail.name}: the inferred section is invalid (${issues}); fill it in by hand` };
}

/** Build and validate the starter policy from the facts. Pure; throws PolicyError only on a bug. */
export function buildStarterPolicy(facts: AccountFacts, guardrails: readonly AnyGuardrail[]): StarterPolicy {
  const inUse = regionsInUse(facts);
  const regions = inUse.map((r) => r.region);
  const sections: Record<string, Section> = {};
  const choices = inUse.map((r) => `region ${r.region}: ${r.reasons.join(', ')}`);
  const leftOut: string[] = [];
  for (const guardrail of guardrails) {
    const infer = OUTCOMES[guardrail.name] ?? (() => ({ leftOut: `${guardrail.name}: init does not know this guardrail yet` }));
    const outcome = checkedOutcome(guardrail, infer(facts, regions));
    if ('leftOut' in outcome) leftOut.push(outcome.leftOut);
    else {
      sections[guardrail.name] = outcome.section;
      choices.push(`${guardrail.name}: ${outcome.why}`);
    }
  }
  const busRegion = regions[0] ?? facts.homeRegion;
  const eventBus = `arn:aws:events:${busRegion}:${facts.account}:event-bus/logwarden-audit`;
  choices.push(`audit.eventBus: ${eventBus} (this account as the central account; set the central bus's ARN)`);
  const document = {
    version: 1 as const,
    controller: { regions, ownRoleArns: Object.keys(sections).map(ownRoleArnTemplate) },
    audit: { eventBus },
    guardrails: sections,
  };
  parsePolicy(document, guardrails, 'starter policy');
  return { document, choices, leftOut };
}
