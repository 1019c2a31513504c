import type { Drift } from '../core/record.js';
import type { Step } from '../core/types.js';
import type { AdvancedSelector, BasicSelector, TrailPolicy } from './policy.js';

/** What logwarden reads about a trail. `exists: false` when GetTrail says TrailNotFound. */
export type TrailState =
  | { exists: false }
  | {
      exists: true;
      arn: string;
      homeRegion: string | null;
      s3BucketName: string | null;
      s3KeyPrefix: string | null;
      kmsKeyId: string | null;
      isMultiRegionTrail: boolean;
      logFileValidationEnabled: boolean;
      includeGlobalServiceEvents: boolean;
      isOrganizationTrail: boolean;
      cloudWatchLogsLogGroupArn: string | null;
      cloudWatchLogsRoleArn: string | null;
      isLogging: boolean;
      /** What GetTrailStatus says of S3 delivery; null when not judged (right after a write). */
      delivery: DeliveryStatus | null;
      eventSelectors: BasicSelector[];
      advancedEventSelectors: AdvancedSelector[];
    };

/** GetTrailStatus's S3 delivery fields (ISO times), with the time they were read. */
export interface DeliveryStatus {
  latestDeliveryError: string | null;
  latestDeliveryTime: string | null;
  startLoggingTime: string | null;
  observedAt: string;
}

/** The policy's default: every management event, read and write. */
export const DEFAULT_SELECTORS: BasicSelector[] = [
  { ReadWriteType: 'All', IncludeManagementEvents: true, DataResources: [], ExcludeManagementEventSources: [] },
];

export type TrailStep =
  | (Step & { api: 'cloudtrail:CreateTrail' })
  | (Step & { api: 'cloudtrail:UpdateTrail'; fields: TrailFields })
  | (Step & { api: 'cloudtrail:PutEventSelectors' })
  | (Step & { api: 'cloudtrail:StartLogging' });

/** The UpdateTrail request fields logwarden may send (only the drifted ones are sent). */
interface TrailFields {
  S3BucketName?: string;
  S3KeyPrefix?: string;
  KmsKeyId?: string;
  IsMultiRegionTrail?: boolean;
  EnableLogFileValidation?: boolean;
  IncludeGlobalServiceEvents?: boolean;
  IsOrganizationTrail?: boolean;
  CloudWatchLogsLogGroupArn?: string;
  CloudWatchLogsRoleArn?: string;
}

const sorted = (xs: readonly string[] | undefined) => [...(xs ?? [])].sort();

/** Canonical form of basic selectors, so equal sets compare equal whatever their order. */
function normalizeBasic(selectors: readonly Partial<BasicSelector>[]): BasicSelector[] {
  return selectors
    .map((s) => ({
      ReadWriteType: s.ReadWriteType ?? 'All',
      IncludeManagementEvents: s.IncludeManagementEvents ?? true,
      DataResources: [...(s.DataResources ?? [])]
        .map((d) => ({ Type: d.Type, Values: sorted(d.Values) }))
        .sort((a, b) => a.Type.localeCompare(b.Type)),
      ExcludeManagementEventSources: sorted(s.ExcludeManagementEventSources),
    }))
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

const OPERATORS = ['Equals', 'StartsWith', 'EndsWith', 'NotEquals', 'NotStartsWith', 'NotEndsWith'] as const;

/** Canonical form of advanced selectors (names are labels and are not compared). */
function normalizeAdvanced(selectors: readonly AdvancedSelector[]): AdvancedSelector[] {
  return selectors
    .map((s) => ({
      FieldSelectors: s.FieldSelectors.map((f) => {
        const out: Record<string, unknown> = { Field: f.Field };
        for (const op of OPERATORS) if (f[op]?.length) out[op] = sorted(f[op]);
        return out as AdvancedSelector['FieldSelectors'][number];
      }).sort((a, b) => a.Field.localeCompare(b.Field)),
    }))
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

/** The desired trail, with the policy's defaults applied. */
export interface DesiredTrail extends TrailPolicy {
  /** Delivery older than this (while logging) is drift. */
  deliveryStaleAfterMinutes: number;
  selectors: { kind: 'basic'; value: BasicSelector[] } | { kind: 'advanced'; value: AdvancedSelector[] };
}

export function desiredTrail(t: TrailPolicy, deliveryStaleAfterMinutes = 60): DesiredTrail {
  return {
    ...t,
    deliveryStaleAfterMinutes,
    selectors: t.advancedEventSelectors
      ? { kind: 'advanced', value: normalizeAdvanced(t.advancedEventSelectors) }
      : { kind: 'basic', value: normalizeBasic(t.eventSelectors ?? DEFAULT_SELECTORS) },
  };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

type ExistingTrail = Extract<TrailState, { exists: true }>;

/** How a drifted property is written back: fields of one UpdateTrail, PutEventSelectors or StartLogging. */
type Write =
  | { api: 'cloudtrail:UpdateTrail'; fields: (d: DesiredTrail) => TrailFields }
  | { api: 'cloudtrail:PutEventSelectors' }
  | { api: 'cloudtrail:StartLogging' };

/**
 * One governed property: whether the policy governs it, its observed and desired values, and how it
 * is written back. The diff and the plan both read this table, so a property cannot be compared
 * without a way to write it.
 */
interface TrailProperty {
  property: string;
  governed?: (d: DesiredTrail) => boolean;
  observed: (s: ExistingTrail) => unknown;
  desired: (d: DesiredTrail) => unknown;
  write: Write;
}

const update = (fields: (d: DesiredTrail) => TrailFields): Write => ({ api: 'cloudtrail:UpdateTrail', fields });
// CloudTrail wants the log group and its role together.
const cloudWatchLogs = update((d) => ({
  CloudWatchLogsLogGroupArn: d.cloudWatchLogs?.logGroupArn,
  CloudWatchLogsRoleArn: d.cloudWatchLogs?.roleArn,
}));

/** A trail uses basic or advanced selectors; the other kind alone means the wanted ones are gone. */
function observedSelectors(s: ExistingTrail, kind: 'basic' | 'advanced'): unknown {
  if (kind === 'basic') {
    return s.eventSelectors.length === 0 && s.advancedEventSelectors.length > 0
      ? { advancedEventSelectors: normalizeAdvanced(s.advancedEventSelectors) }
      : normalizeBasic(s.eventSelectors);
  }
  return s.advancedEventSelectors.length === 0 && s.eventSelectors.length > 0
    ? { eventSelectors: normalizeBasic(s.eventSelectors) }
    : normalizeAdvanced(s.advancedEventSelectors);
}

/** Every property the CloudTrail guardrail governs, in the order the diff reports them. */
export const TRAIL_PROPERTIES: readonly TrailProperty[] = [
  {
    property: 's3BucketName',
    observed: (s) => s.s3BucketName,
    desired: (d) => d.s3BucketName,
    write: update((d) => ({ S3BucketName: d.s3BucketName })),
  },
  {
    property: 's3KeyPrefix',
    governed: (d) => d.s3KeyPrefix !== undefined,
    observed: (s) => s.s3KeyPrefix ?? '',
    desired: (d) => d.s3KeyPrefix,
    write: update((d) => ({ S3KeyPrefix: d.s3KeyPrefix })),
  },
  {
    property: 'kmsKeyId',
    governed: (d) => d.kmsKeyId !== undefined,
    observed: (s) => s.kmsKeyId,
    desired: (d) => d.kmsKeyId,
    write: update((d) => ({ KmsKeyId: d.kmsKeyId })),
  },
  {
    property: 'isMultiRegionTrail',
    observed: (s) => s.isMultiRegionTrail,
    desired: (d) => d.isMultiRegionTrail,
    write: update((d) => ({ IsMultiRegionTrail: d.isMultiRegionTrail })),
  },
  {
    property: 'logFileValidationEnabled',
    observed: (s) => s.logFileValidationEnabled,
    desired: (d) => d.enableLogFileValidation,
    write: update((d) => ({ EnableLogFileValidation: d.enableLogFileValidation })),
  },
  {
    property: 'includeGlobalServiceEvents',
    observed: (s) => s.includeGlobalServiceEvents,
    desired: (d) => d.includeGlobalServiceEvents,
    write: update((d) => ({ IncludeGlobalServiceEvents: d.includeGlobalServiceEvents })),
  },
  {
    property: 'isOrganizationTrail',
    observed: (s) => s.isOrganizationTrail,
    desired: (d) => d.isOrganizationTrail,
    write: update((d) => ({ IsOrganizationTrail: d.isOrganizationTrail })),
  },
  {
    property: 'cloudWatchLogsLogGroupArn',
    governed: (d) => d.cloudWatchLogs !== undefined,
    observed: (s) => s.cloudWatchLogsLogGroupArn,
    desired: (d) => d.cloudWatchLogs?.logGroupArn,
    write: cloudWatchLogs,
  },
  {
    property: 'cloudWatchLogsRoleArn',
    governed: (d) => d.cloudWatchLogs !== undefined,
    observed: (s) => s.cloudWatchLogsRoleArn,
    desired: (d) => d.cloudWatchLogs?.roleArn,
    write: cloudWatchLogs,
  },
  {
    property: 'eventSelectors',
    governed: (d) => d.selectors.kind === 'basic',
    observed: (s) => observedSelectors(s, 'basic'),
    desired: (d) => d.selectors.value,
    write: { api: 'cloudtrail:PutEventSelectors' },
  },
  {
    property: 'advancedEventSelectors',
    governed: (d) => d.selectors.kind === 'advanced',
    observed: (s) => observedSelectors(s, 'advanced'),
    desired: (d) => d.selectors.value,
    write: { api: 'cloudtrail:PutEventSelectors' },
  },
  { property: 'isLogging', observed: (s) => s.isLogging, desired: () => true, write: { api: 'cloudtrail:StartLogging' } },
];

const MINUTE = 60_000;

/**
 * Why S3 delivery looks broken, or null. Pure. A trail (re)started within the bound and with no
 * delivery since is not judged yet: its old error or old delivery time predate the restart, and
 * judging them would flap right after a fix.
 */
export function deliveryProblem(s: DeliveryStatus, staleAfterMinutes: number): string | null {
  const now = Date.parse(s.observedAt);
  const bound = staleAfterMinutes * MINUTE;
  const started = s.startLoggingTime ? Date.parse(s.startLoggingTime) : null;
  const delivered = s.latestDeliveryTime ? Date.parse(s.latestDeliveryTime) : null;
  const justStarted = started !== null && now - started < bound && (delivered === null || delivered < started);
  if (justStarted) return null;
  if (s.latestDeliveryError) return `CloudTrail reports an S3 delivery error: ${s.latestDeliveryError}`;
  if (delivered === null) return `no log file delivered to S3 since logging started (${s.startLoggingTime ?? 'unknown'})`;
  if (now - delivered > bound) {
    return `last log file delivered to S3 at ${s.latestDeliveryTime}, more than ${staleAfterMinutes} minutes ago`;
  }
  return null;
}

/**
 * Delivery is judged only on a trail that is logging and matches the policy: otherwise the settings
 * drift explains it and its fix changes it; the next sweep or event judges delivery again.
 */
function deliveryDrift(state: ExistingTrail, d: DesiredTrail): Drift[] {
  if (!state.isLogging || !state.delivery) return [];
  const problem = deliveryProblem(state.delivery, d.deliveryStaleAfterMinutes);
  if (!problem) return [];
  const { latestDeliveryError, latestDeliveryTime, startLoggingTime } = state.delivery;
  return [
    {
      property: 'delivery',
      observed: { problem, latestDeliveryError, latestDeliveryTime, startLoggingTime },
      desired: `log files delivered to s3://${d.s3BucketName} within ${d.deliveryStaleAfterMinutes} minutes, without error`,
    },
  ];
}

/** Compare a trail with the policy. Pure. Properties the policy leaves out are not governed. */
export function diffTrail(state: TrailState, d: DesiredTrail): Drift[] {
  if (!state.exists) return [{ property: 'exists', observed: false, desired: true }];
  const drift = TRAIL_PROPERTIES.filter((p) => p.governed?.(d) ?? true)
    .map((p) => ({ property: p.property, observed: p.observed(state), desired: p.desired(d) }))
    .filter((x) => !same(x.observed, x.desired));
  return drift.length > 0 ? drift : deliveryDrift(state, d);
}

/**
 * Delivery drift alone is only reported: the trail bucket lives in the log-archive account, which
 * logwarden never writes. Pure.
 */
export function trailDeliveryProblem(drift: readonly Drift[], d: DesiredTrail): string | null {
  const delivery = drift.find((x) => x.property === 'delivery');
  if (!delivery || drift.length > 1) return null;
  const { problem } = delivery.observed as { problem: string };
  return `trail ${d.name} is logging but its logs are not delivered: ${problem}; the bucket ${d.s3BucketName} is in the log-archive account, which logwarden does not change (runbooks/cloudtrail.md#delivery)`;
}

/** The fewest writes that bring the trail back to the policy: one UpdateTrail for every drifted setting. Pure. */
export function planTrail(state: TrailState, d: DesiredTrail, drift: readonly Drift[]): TrailStep[] {
  if (!state.exists) {
    return [
      { api: 'cloudtrail:CreateTrail', description: `create trail ${d.name} from the policy` },
      { api: 'cloudtrail:PutEventSelectors', description: 'restore the policy event selectors' },
      { api: 'cloudtrail:StartLogging', description: 'start logging' },
    ];
  }
  const drifted = new Set(drift.map((x) => x.property));
  const writes = TRAIL_PROPERTIES.filter((p) => drifted.has(p.property)).map((p) => p.write);
  const fields: TrailFields = Object.assign({}, ...writes.map((w) => (w.api === 'cloudtrail:UpdateTrail' ? w.fields(d) : {})));
  const steps: TrailStep[] = [];
  if (Object.keys(fields).length > 0) {
    steps.push({ api: 'cloudtrail:UpdateTrail', description: `set ${Object.keys(fields).join(', ')}`, fields });
  }
  if (writes.some((w) => w.api === 'cloudtrail:PutEventSelectors')) {
    steps.push({ api: 'cloudtrail:PutEventSelectors', description: 'restore the policy event selectors' });
  }
  if (writes.some((w) => w.api === 'cloudtrail:StartLogging')) {
    steps.push({ api: 'cloudtrail:StartLogging', description: 'start logging' });
  }
  return steps;
}
