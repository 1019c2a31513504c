import { partitionOf } from '../core/identity.js';
import type { AnyGuardrail, CloudTrailDetail, Resolution, ResourceRef } from '../core/types.js';
import type { CloudTrailPolicy, TrailPolicy } from './policy.js';

export const RESOURCE_TYPE = 'AWS::CloudTrail::Trail';

/** The events that weaken a trail. Creating or starting one never needs an answer. */
export const TRAIL_EVENTS = ['StopLogging', 'DeleteTrail', 'UpdateTrail', 'PutEventSelectors'] as const;

const SAMPLE_TRAIL = 'org-audit-trail';
const SAMPLE_TRAIL_ARN = `arn:aws:cloudtrail:us-east-1:123456789012:trail/${SAMPLE_TRAIL}`;

/**
 * Plausible records of {@link TRAIL_EVENTS} (lowerCamel keys; StopLogging and DeleteTrail name the
 * trail and answer null; UpdateTrail answers the resulting trail, spelling validation
 * `logFileValidationEnabled`; PutEventSelectors names `trailName`).
 */
export const TRAIL_EVENT_SAMPLE: AnyGuardrail['cloudTrailEvents'][number]['sample'] = {
  requestParameters: { name: SAMPLE_TRAIL },
  responseElements: null,
  perEvent: {
    UpdateTrail: {
      requestParameters: { name: SAMPLE_TRAIL, isMultiRegionTrail: false, enableLogFileValidation: false },
      responseElements: {
        name: SAMPLE_TRAIL,
        s3BucketName: 'central-cloudtrail-logs',
        s3KeyPrefix: 'cloudtrail',
        includeGlobalServiceEvents: true,
        isMultiRegionTrail: false,
        trailARN: SAMPLE_TRAIL_ARN,
        logFileValidationEnabled: false,
        isOrganizationTrail: false,
      },
    },
    PutEventSelectors: {
      requestParameters: {
        trailName: SAMPLE_TRAIL,
        eventSelectors: [
          { readWriteType: 'ReadOnly', includeManagementEvents: false, dataResources: [], excludeManagementEventSources: [] },
        ],
      },
      responseElements: {
        trailARN: SAMPLE_TRAIL_ARN,
        eventSelectors: [
          { readWriteType: 'ReadOnly', includeManagementEvents: false, dataResources: [], excludeManagementEventSources: [] },
        ],
      },
    },
  },
};

export interface TrailRef extends ResourceRef {
  type: typeof RESOURCE_TYPE;
  /** Trail name. */
  id: string;
}

const TRAIL_ARN = /^arn:(aws[a-z-]*):cloudtrail:([a-z0-9-]+):(\d{12}):trail\/(.+)$/;

/** A trail name or ARN, split. */
export function parseTrailName(nameOrArn: string): {
  name: string;
  region: string | null;
  account: string | null;
  partition: string;
} {
  const m = TRAIL_ARN.exec(nameOrArn);
  if (m) return { partition: m[1] as string, region: m[2] as string, account: m[3] as string, name: m[4] as string };
  return { name: nameOrArn, region: null, account: null, partition: 'aws' };
}

export function trailArn(account: string, region: string, name: string): string {
  return `arn:${partitionOf(region)}:cloudtrail:${region}:${account}:trail/${name}`;
}

/** The trails the policy gives this account, in this region (their home region). */
export function governedTrails(policy: CloudTrailPolicy, account: string, region: string): TrailPolicy[] {
  return policy.trails.filter((t) => t.homeRegion === region && (!t.accounts || t.accounts.includes(account)));
}

/**
 * Resolve a trail name or ARN to the governed trail, or say why it is not ours to touch:
 * not in the policy, owned by another account (organization trails are governed where they
 * live), or homed in another region (a shadow trail is only changed in its home region).
 */
export function resolveTrail(
  nameOrArn: string,
  policy: CloudTrailPolicy,
  scope: { account: string; region: string },
): Resolution<TrailRef> {
  const parsed = parseTrailName(nameOrArn);
  const hint = { id: parsed.name, arn: parsed.account ? nameOrArn : null };
  const entry = policy.trails.find((t) => t.name === parsed.name);
  if (!entry) return { ignore: `trail ${parsed.name} is not governed by the policy`, resource: hint };
  if (parsed.account && parsed.account !== scope.account) {
    return {
      ignore: `trail ${parsed.name} belongs to account ${parsed.account}; ${entry.isOrganizationTrail ? 'an organization trail is' : 'trails are'} governed in the account that owns it`,
      resource: hint,
    };
  }
  if (entry.accounts && !entry.accounts.includes(scope.account)) {
    return {
      ignore: `trail ${parsed.name} is governed in account(s) ${entry.accounts.join(', ')}, not ${scope.account}`,
      resource: hint,
    };
  }
  if (entry.homeRegion !== scope.region || (parsed.region && parsed.region !== entry.homeRegion)) {
    return {
      ignore: `trail ${parsed.name} has home region ${entry.homeRegion}; it is only changed there (shadow trail seen in ${scope.region})`,
      resource: hint,
    };
  }
  return {
    refs: [
      {
        type: RESOURCE_TYPE,
        id: entry.name,
        arn: trailArn(scope.account, entry.homeRegion, entry.name),
        region: entry.homeRegion,
      },
    ],
  };
}

/** Resolve the trail a CloudTrail API-call event is about. Pure. */
export function refsFromEvent(
  detail: CloudTrailDetail,
  policy: CloudTrailPolicy,
  scope: { account: string; region: string },
): Resolution<TrailRef> {
  const params = detail.requestParameters;
  if (!params) return { ignore: `${detail.eventName} event without requestParameters; cannot tell which trail` };
  const key = detail.eventName === 'PutEventSelectors' ? 'trailName' : 'name';
  const value = params[key];
  if (typeof value !== 'string' || value.length === 0) {
    return { ignore: `${detail.eventName} event without a string requestParameters.${key}` };
  }
  if (value.length > 2048) return { ignore: `${detail.eventName} event with an oversized trail name (${value.length} chars)` };
  return resolveTrail(value, policy, scope);
}
