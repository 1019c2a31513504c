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
      eventSelectors: BasicSelector[];
      advancedEventSelectors: AdvancedSelector[];
      tags: Record<string, string>;
    };

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
  selectors: { kind: 'basic'; value: BasicSelector[] } | { kind: 'advanced'; value: AdvancedSelector[] };
}

export function desiredTrail(t: TrailPolicy): DesiredTrail {
  return {
    ...t,
    selectors: t.advancedEventSelectors
      ? { kind: 'advanced', value: normalizeAdvanced(t.advancedEventSelectors) }
      : { kind: 'basic', value: normalizeBasic(t.eventSelectors ?? DEFAULT_SELECTORS) },
  };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Compare a trail with the policy. Pure. Properties the policy leaves out are not governed. */
export function diffTrail(state: TrailState, d: DesiredTrail): Drift[] {
  if (!state.exists) return [{ property: 'exists', observed: false, desired: true }];
  const drift: Drift[] = [];
  const check = (property: string, observed: unknown, desired: unknown) => {
    if (!same(observed, desired)) drift.push({ property, observed, desired });
  };
  check('s3BucketName', state.s3BucketName, d.s3BucketName);
  if (d.s3KeyPrefix !== undefined) check('s3KeyPrefix', state.s3KeyPrefix ?? '', d.s3KeyPrefix);
  if (d.kmsKeyId !== undefined) check('kmsKeyId', state.kmsKeyId, d.kmsKeyId);
  check('isMultiRegionTrail', state.isMultiRegionTrail, d.isMultiRegionTrail);
  check('logFileValidationEnabled', state.logFileValidationEnabled, d.enableLogFileValidation);
  check('includeGlobalServiceEvents', state.includeGlobalServiceEvents, d.includeGlobalServiceEvents);
  check('isOrganizationTrail', state.isOrganizationTrail, d.isOrganizationTrail);
  if (d.cloudWatchLogs) {
    check('cloudWatchLogsLogGroupArn', state.cloudWatchLogsLogGroupArn, d.cloudWatchLogs.logGroupArn);
    check('cloudWatchLogsRoleArn', state.cloudWatchLogsRoleArn, d.cloudWatchLogs.roleArn);
  }
  if (d.selectors.kind === 'basic') {
    // A trail uses basic or advanced selectors; advanced ones alone mean the basic ones are gone.
    const observed =
      state.eventSelectors.length === 0 && state.advancedEventSelectors.length > 0
        ? { advancedEventSelectors: normalizeAdvanced(state.advancedEventSelectors) }
        : normalizeBasic(state.eventSelectors);
    check('eventSelectors', observed, d.selectors.value);
  } else {
    const observed =
      state.advancedEventSelectors.length === 0 && state.eventSelectors.length > 0
        ? { eventSelectors: normalizeBasic(state.eventSelectors) }
        : normalizeAdvanced(state.advancedEventSelectors);
    check('advancedEventSelectors', observed, d.selectors.value);
  }
  check('isLogging', state.isLogging, true);
  return drift;
}

/** The fields of UpdateTrail that put each drifted property back. */
function updateFields(drift: readonly Drift[], d: DesiredTrail): TrailFields {
  const f: TrailFields = {};
  for (const { property } of drift) {
    switch (property) {
      case 's3BucketName':
        f.S3BucketName = d.s3BucketName;
        break;
      case 's3KeyPrefix':
        f.S3KeyPrefix = d.s3KeyPrefix;
        break;
      case 'kmsKeyId':
        f.KmsKeyId = d.kmsKeyId;
        break;
      case 'isMultiRegionTrail':
        f.IsMultiRegionTrail = d.isMultiRegionTrail;
        break;
      case 'logFileValidationEnabled':
        f.EnableLogFileValidation = d.enableLogFileValidation;
        break;
      case 'includeGlobalServiceEvents':
        f.IncludeGlobalServiceEvents = d.includeGlobalServiceEvents;
        break;
      case 'isOrganizationTrail':
        f.IsOrganizationTrail = d.isOrganizationTrail;
        break;
      case 'cloudWatchLogsLogGroupArn':
      case 'cloudWatchLogsRoleArn':
        // CloudTrail wants both together.
        f.CloudWatchLogsLogGroupArn = d.cloudWatchLogs?.logGroupArn;
        f.CloudWatchLogsRoleArn = d.cloudWatchLogs?.roleArn;
        break;
    }
  }
  return f;
}

/** The fewest writes that bring the trail back to the policy. Pure. */
export function planTrail(state: TrailState, d: DesiredTrail, drift: readonly Drift[]): TrailStep[] {
  if (!state.exists) {
    return [
      { api: 'cloudtrail:CreateTrail', description: `create trail ${d.name} from the policy` },
      { api: 'cloudtrail:PutEventSelectors', description: 'restore the policy event selectors' },
      { api: 'cloudtrail:StartLogging', description: 'start logging' },
    ];
  }
  const steps: TrailStep[] = [];
  const fields = updateFields(drift, d);
  if (Object.keys(fields).length > 0) {
    steps.push({ api: 'cloudtrail:UpdateTrail', description: `set ${Object.keys(fields).join(', ')}`, fields });
  }
  if (drift.some((x) => x.property === 'eventSelectors' || x.property === 'advancedEventSelectors')) {
    steps.push({ api: 'cloudtrail:PutEventSelectors', description: 'restore the policy event selectors' });
  }
  if (drift.some((x) => x.property === 'isLogging')) {
    steps.push({ api: 'cloudtrail:StartLogging', description: 'start logging' });
  }
  return steps;
}
