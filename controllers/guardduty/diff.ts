import type { Drift } from '../core/record.js';
import type { Step } from '../core/types.js';
import type { GuardDutyRef } from './events.js';
import { FEATURES, type FeatureName, type FeatureStatus, type Frequency, type GuardDutyPolicy } from './policy.js';

/** This account's administrator relationship, as GetAdministratorAccount reports it. */
export interface Administrator {
  accountId: string;
  relationshipStatus: string;
}

/** What logwarden reads about the detector of a region. */
export type DetectorState =
  | { kind: 'detector'; exists: false }
  | {
      kind: 'detector';
      exists: true;
      /** The detector that was read: the one named, or the region's only one when that is gone. */
      id: string;
      /** Detectors in the region. AWS allows one; the emulator allows more. */
      detectorCount: number;
      status: string;
      findingPublishingFrequency: string | null;
      /** Status of each protection plan: from `features`, else from the legacy `dataSources`; absent when not reported. */
      features: Partial<Record<FeatureName, string>>;
      tags: Record<string, string>;
      administrator: Administrator | null;
    };

export type FilterState =
  | { kind: 'filter'; exists: false; tags: Record<string, string> }
  | {
      kind: 'filter';
      exists: true;
      action: string;
      description: string | null;
      rank: number | null;
      findingCriteria: unknown;
      /** The detector's tags (exemptions are set on the detector). */
      tags: Record<string, string>;
    };

export type IpSetState =
  | { kind: 'ipset'; exists: false; tags: Record<string, string> }
  | {
      kind: 'ipset';
      exists: true;
      name: string | null;
      status: string;
      format: string | null;
      location: string | null;
      tags: Record<string, string>;
    };

export type DestinationState =
  | { kind: 'destination'; exists: false; tags: Record<string, string> }
  | {
      kind: 'destination';
      exists: true;
      status: string | null;
      destinationType: string | null;
      destinationArn: string | null;
      kmsKeyArn: string | null;
      tags: Record<string, string>;
    };

export type MembershipState =
  | { kind: 'membership'; detectorExists: false; tags: Record<string, string> }
  | { kind: 'membership'; detectorExists: true; administrator: Administrator | null; tags: Record<string, string> };

export type GuardDutyState = DetectorState | FilterState | IpSetState | DestinationState | MembershipState;

/** The desired state, from the policy (the same for every resource kind). */
export interface DesiredGuardDuty {
  findingPublishingFrequency: Frequency | null;
  features: { name: FeatureName; status: FeatureStatus }[];
  administratorAccountId: string | null;
  trustedIpSets: 'notify' | 'remediate';
  archiveFilters: 'notify' | 'remediate';
}

export function desiredGuardDuty(p: GuardDutyPolicy): DesiredGuardDuty {
  return {
    findingPublishingFrequency: p.findingPublishingFrequency ?? null,
    features: FEATURES.flatMap((name) => {
      const status = p.features[name];
      return status ? [{ name, status }] : [];
    }),
    administratorAccountId: p.administratorAccountId ?? null,
    trustedIpSets: p.trustedIpSets,
    archiveFilters: p.archiveFilters,
  };
}

export type GuardDutyStep =
  | (Step & { api: 'guardduty:CreateDetector' })
  | (Step & {
      api: 'guardduty:UpdateDetector';
      detectorId: string;
      enable?: true;
      findingPublishingFrequency?: Frequency;
      features?: { name: FeatureName; status: FeatureStatus }[];
    })
  | (Step & { api: 'guardduty:DeleteFilter' })
  | (Step & { api: 'guardduty:UpdateIPSet' });

/** IP set statuses in which the list is (or is becoming) trusted. */
const ACTIVE_IPSET = new Set(['ACTIVE', 'ACTIVATING']);

const isEnabledRelationship = (a: Administrator | null) => a?.relationshipStatus.toUpperCase() === 'ENABLED';

/** A publishing destination must exist and be PUBLISHING: any other status means findings are not exported. */
function destinationDrift(state: DestinationState): Drift[] {
  if (!state.exists) return [{ property: 'publishingDestination', observed: 'deleted', desired: 'exists' }];
  if (state.status === 'PUBLISHING') return [];
  return [
    {
      property: 'publishingDestination.status',
      observed: { status: state.status, destinationType: state.destinationType, destinationArn: state.destinationArn },
      desired: 'PUBLISHING',
    },
  ];
}

/** Compare observed with desired. Pure. Features the policy does not name are never compared. */
export function diffGuardDuty(state: GuardDutyState, d: DesiredGuardDuty): Drift[] {
  switch (state.kind) {
    case 'detector': {
      if (!state.exists) return [{ property: 'exists', observed: false, desired: true }];
      const drift: Drift[] = [];
      if (state.detectorCount > 1) drift.push({ property: 'detectorCount', observed: state.detectorCount, desired: 1 });
      if (state.status !== 'ENABLED') drift.push({ property: 'status', observed: state.status, desired: 'ENABLED' });
      if (d.findingPublishingFrequency && state.findingPublishingFrequency !== d.findingPublishingFrequency) {
        drift.push({
          property: 'findingPublishingFrequency',
          observed: state.findingPublishingFrequency,
          desired: d.findingPublishingFrequency,
        });
      }
      for (const f of d.features) {
        const observed = state.features[f.name] ?? 'NOT_REPORTED';
        if (observed !== f.status) drift.push({ property: `features.${f.name}`, observed, desired: f.status });
      }
      return drift;
    }
    case 'filter':
      if (!state.exists || state.action !== 'ARCHIVE') return [];
      return [
        {
          property: 'filter.action',
          observed: {
            action: state.action,
            description: state.description,
            rank: state.rank,
            findingCriteria: state.findingCriteria,
          },
          desired: 'no filter that auto-archives findings',
        },
      ];
    case 'ipset':
      if (!state.exists || !ACTIVE_IPSET.has(state.status)) return [];
      return [
        {
          property: 'ipSet.status',
          observed: { status: state.status, name: state.name, format: state.format, location: state.location },
          desired: 'no active trusted IP list',
        },
      ];
    case 'destination':
      return destinationDrift(state);
    case 'membership': {
      const desired = d.administratorAccountId ?? 'a GuardDuty administrator account';
      if (!state.detectorExists) return [{ property: 'administrator', observed: 'no detector in the region', desired }];
      const admin = state.administrator;
      if (!isEnabledRelationship(admin) || (d.administratorAccountId && admin?.accountId !== d.administratorAccountId)) {
        return [{ property: 'administrator', observed: admin, desired }];
      }
      return [];
    }
  }
}

/** The fewest writes that undo the drift. Pure. Only drifted features are sent. */
export function planGuardDuty(state: GuardDutyState, d: DesiredGuardDuty, drift: readonly Drift[]): GuardDutyStep[] {
  const has = (p: string) => drift.some((x) => x.property === p);
  switch (state.kind) {
    case 'detector': {
      if (!state.exists) {
        return [{ api: 'guardduty:CreateDetector', description: 'create an enabled detector with the policy features' }];
      }
      const step: Extract<GuardDutyStep, { api: 'guardduty:UpdateDetector' }> = {
        api: 'guardduty:UpdateDetector',
        description: '',
        detectorId: state.id,
      };
      const what: string[] = [];
      if (has('status')) {
        step.enable = true;
        what.push('enable the detector');
      }
      if (has('findingPublishingFrequency') && d.findingPublishingFrequency) {
        step.findingPublishingFrequency = d.findingPublishingFrequency;
        what.push(`set the publishing frequency to ${d.findingPublishingFrequency}`);
      }
      const features = d.features.filter((f) => has(`features.${f.name}`));
      if (features.length > 0) {
        step.features = features;
        what.push(`set ${features.map((f) => `${f.name}=${f.status}`).join(', ')}`);
      }
      if (what.length === 0) return [];
      step.description = what.join('; ');
      return [step];
    }
    case 'filter':
      return has('filter.action') ? [{ api: 'guardduty:DeleteFilter', description: 'delete the auto-archive filter' }] : [];
    case 'ipset':
      return has('ipSet.status') ? [{ api: 'guardduty:UpdateIPSet', description: 'deactivate the trusted IP list' }] : [];
    default:
      return [];
  }
}

/**
 * Why a publishing destination's drift cannot be fixed by logwarden, or null: findings are not exported,
 * and its bucket and KMS key are not logwarden's to change (or, deleted, not in the policy to recreate
 * it). The record is `failed` so that it pages (#13). Pure.
 */
export function publishingDestinationProblem(ref: GuardDutyRef, state: GuardDutyState, drift: readonly Drift[]): string | null {
  if (drift.length === 0 || state.kind !== 'destination') return null;
  if (state.exists) {
    return `publishing destination ${ref.id} is ${state.status ?? 'of unknown status'}, not PUBLISHING: findings are not exported to ${state.destinationArn ?? 'its destination'}; its bucket and KMS key are not logwarden's to change (runbooks/guardduty.md#delivery)`;
  }
  return `publishing destination ${ref.id} was deleted; its bucket and KMS key are not in the policy, so logwarden cannot recreate it (see the runbook)`;
}

/**
 * Why this drift is only reported, or null. Findings suppression is the security team's call unless
 * the policy says otherwise; a broken membership cannot be restored from this account alone; a member's detector settings belong to its administrator.
 */
export function reportOnlyReason(ref: GuardDutyRef, state: GuardDutyState, drift: readonly Drift[], d: DesiredGuardDuty) {
  if (drift.length === 0) return null;
  switch (state.kind) {
    case 'filter':
      return d.archiveFilters === 'remediate'
        ? null
        : `filter ${ref.id} auto-archives findings; the security team decides (policy guardduty.archiveFilters is notify)`;
    case 'ipset':
      return d.trustedIpSets === 'remediate'
        ? null
        : `trusted IP list ${ref.id} is active: GuardDuty raises no findings for its addresses; the security team decides (policy guardduty.trustedIpSets is notify)`;
    case 'destination':
      // Not a judgement call: findings not exported are a failure (`publishingDestinationProblem`).
      return null;
    case 'membership':
      return 'the administrator relationship can only be restored with the administrator account (it adds the account again, or invites it and this account accepts)';
    case 'detector': {
      if (!state.exists) return null;
      if (state.detectorCount > 1) {
        return `${state.detectorCount} detectors in ${ref.region} (AWS allows one per region); logwarden never deletes one, a person must choose`;
      }
      if (isEnabledRelationship(state.administrator)) {
        return `this account is a GuardDuty member of administrator ${state.administrator?.accountId}: its detector status, protection plans and publishing frequency are managed there; fix them in the administrator account`;
      }
      return null;
    }
  }
}
