import { partitionOf } from '../core/identity.js';
import type { AnyGuardrail, CloudTrailDetail, Resolution, ResourceRef } from '../core/types.js';
import type { GuardDutyPolicy } from './policy.js';

export const RESOURCE_TYPE = 'AWS::GuardDuty::Detector';
const IPSET_TYPE = 'AWS::GuardDuty::IPSet';
const FILTER_TYPE = 'AWS::GuardDuty::Filter';
const DESTINATION_TYPE = 'AWS::GuardDuty::PublishingDestination';
/** CloudFormation's name for a member account's side of the administrator relationship. */
const MEMBERSHIP_TYPE = 'AWS::GuardDuty::Master';

/** The id a detector ref has in a region that has no detector. */
export const NO_DETECTOR = 'none';

/** The detector events that weaken GuardDuty itself. */
const DETECTOR_EVENTS = ['DeleteDetector', 'UpdateDetector'] as const;
/** The events that suppress findings or cut them off; reported by default. */
const FINDING_EVENTS = [
  'CreateIPSet',
  'UpdateIPSet',
  'CreateFilter',
  'UpdateFilter',
  'UpdatePublishingDestination',
  'DeletePublishingDestination',
  'DisassociateFromMasterAccount',
  'DisassociateFromAdministratorAccount',
] as const;
export const GUARDDUTY_EVENTS = [...DETECTOR_EVENTS, ...FINDING_EVENTS] as const;

const SAMPLE_DETECTOR = '12abc34d567e8fa901bc2d34e56789f0';
const SAMPLE_IPSET = '0cb0141ab9fbde177613ab9436212e90';
const SAMPLE_FILTER = 'quiet-please';

/**
 * Plausible records of {@link GUARDDUTY_EVENTS} (lowerCamel keys, only the fields the caller sent):
 * every one names the `detectorId`; CreateIPSet answers the new `ipSetId`, CreateFilter its `name`.
 */
export const GUARDDUTY_EVENT_SAMPLE: AnyGuardrail['cloudTrailEvents'][number]['sample'] = {
  requestParameters: { detectorId: SAMPLE_DETECTOR },
  responseElements: null,
  perEvent: {
    UpdateDetector: { requestParameters: { detectorId: SAMPLE_DETECTOR, enable: false }, responseElements: null },
    CreateIPSet: {
      requestParameters: {
        detectorId: SAMPLE_DETECTOR,
        name: 'office-egress',
        format: 'TXT',
        location: 'https://s3.amazonaws.com/team-lists/trusted.txt',
        activate: true,
      },
      responseElements: { ipSetId: SAMPLE_IPSET },
    },
    UpdateIPSet: {
      requestParameters: { detectorId: SAMPLE_DETECTOR, ipSetId: SAMPLE_IPSET, activate: true },
      responseElements: null,
    },
    CreateFilter: {
      requestParameters: {
        detectorId: SAMPLE_DETECTOR,
        name: SAMPLE_FILTER,
        action: 'ARCHIVE',
        rank: 1,
        findingCriteria: { criterion: { severity: { lt: 7 } } },
      },
      responseElements: { name: SAMPLE_FILTER },
    },
    UpdateFilter: {
      requestParameters: { detectorId: SAMPLE_DETECTOR, filterName: SAMPLE_FILTER, action: 'ARCHIVE' },
      responseElements: { name: SAMPLE_FILTER },
    },
    UpdatePublishingDestination: {
      requestParameters: {
        detectorId: SAMPLE_DETECTOR,
        destinationId: 'a2b4c6d8e0f1a3b5c7d9e1f3a5b7c9d1',
        destinationProperties: {
          destinationArn: 'arn:aws:s3:::findings-export',
          kmsKeyArn: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
        },
      },
      responseElements: null,
    },
    DeletePublishingDestination: {
      requestParameters: { detectorId: SAMPLE_DETECTOR, destinationId: 'a2b4c6d8e0f1a3b5c7d9e1f3a5b7c9d1' },
      responseElements: null,
    },
  },
};

interface Base extends ResourceRef {
  region: string;
}
/** The detector of a region (`id` is its detector id, or {@link NO_DETECTOR}). */
export interface DetectorRef extends Base {
  kind: 'detector';
  type: typeof RESOURCE_TYPE;
}
interface IpSetRef extends Base {
  kind: 'ipset';
  type: typeof IPSET_TYPE;
  detectorId: string;
}
export interface FilterRef extends Base {
  kind: 'filter';
  type: typeof FILTER_TYPE;
  detectorId: string;
}
interface DestinationRef extends Base {
  kind: 'destination';
  type: typeof DESTINATION_TYPE;
  detectorId: string;
}
/** This account's membership of its GuardDuty administrator (`id` is the detector id). */
export interface MembershipRef extends Base {
  kind: 'membership';
  type: typeof MEMBERSHIP_TYPE;
  detectorId: string;
}
export type GuardDutyRef = DetectorRef | IpSetRef | FilterRef | DestinationRef | MembershipRef;

const DETECTOR_ID = /^[A-Za-z0-9]{1,300}$/;
const CHILD_ID = /^[A-Za-z0-9_.-]{1,300}$/;

function detectorArn(account: string, region: string, detectorId: string): string {
  return `arn:${partitionOf(region)}:guardduty:${region}:${account}:detector/${detectorId}`;
}

type Where = { account: string; region: string };

export function detectorRef(where: Where, detectorId: string): DetectorRef {
  return {
    kind: 'detector',
    type: RESOURCE_TYPE,
    id: detectorId,
    arn: detectorId === NO_DETECTOR ? null : detectorArn(where.account, where.region, detectorId),
    region: where.region,
  };
}

function ipSetRef(where: Where, detectorId: string, ipSetId: string): IpSetRef {
  const arn = `${detectorArn(where.account, where.region, detectorId)}/ipset/${ipSetId}`;
  return { kind: 'ipset', type: IPSET_TYPE, id: ipSetId, arn, region: where.region, detectorId };
}

export function filterRef(where: Where, detectorId: string, name: string): FilterRef {
  const arn = `${detectorArn(where.account, where.region, detectorId)}/filter/${name}`;
  return { kind: 'filter', type: FILTER_TYPE, id: name, arn, region: where.region, detectorId };
}

export function destinationRef(where: Where, detectorId: string, destinationId: string): DestinationRef {
  const arn = `${detectorArn(where.account, where.region, detectorId)}/publishingDestination/${destinationId}`;
  return { kind: 'destination', type: DESTINATION_TYPE, id: destinationId, arn, region: where.region, detectorId };
}

export function membershipRef(where: Where, detectorId: string): MembershipRef {
  return {
    kind: 'membership',
    type: MEMBERSHIP_TYPE,
    id: detectorId,
    arn: detectorArn(where.account, where.region, detectorId),
    region: where.region,
    detectorId,
  };
}

/** The regions where the policy wants a detector, among those the controller governs. */
export function isGovernedRegion(policy: GuardDutyPolicy, region: string): boolean {
  return !policy.regions || policy.regions.includes(region);
}

export function notGoverned(region: string): string {
  return `GuardDuty is not governed in ${region} (not in the policy's guardduty.regions)`;
}

function str(params: Record<string, unknown>, key: string): string | null {
  const v = params[key];
  return typeof v === 'string' && v.length > 0 ? v : null;
}

/**
 * Which resource a GuardDuty API-call event is about. Pure: a detector event yields a detector ref
 * with the id named in the event, which may no longer exist (the I/O side resolves that).
 */
export function refsFromEvent(detail: CloudTrailDetail, policy: GuardDutyPolicy, where: Where): Resolution<GuardDutyRef> {
  if (!isGovernedRegion(policy, where.region)) return { ignore: notGoverned(where.region) };
  const params = detail.requestParameters;
  if (!params) return { ignore: `${detail.eventName} event without requestParameters; cannot tell which detector` };
  const detectorId = str(params, 'detectorId');
  if (!detectorId || !DETECTOR_ID.test(detectorId)) {
    return { ignore: `${detail.eventName} event without a valid requestParameters.detectorId` };
  }
  const child = (key: string, from: Record<string, unknown> | null = params): string | null => {
    const v = from ? str(from, key) : null;
    return v && CHILD_ID.test(v) ? v : null;
  };
  const missing = (what: string) => ({
    ignore: `${detail.eventName} event without a valid ${what}; cannot tell which one`,
    resource: { id: detectorId },
  });
  switch (detail.eventName) {
    case 'DeleteDetector':
    case 'UpdateDetector':
      return { refs: [detectorRef(where, detectorId)] };
    case 'DisassociateFromMasterAccount':
    case 'DisassociateFromAdministratorAccount':
      return { refs: [membershipRef(where, detectorId)] };
    case 'CreateIPSet': {
      const id = child('ipSetId', detail.responseElements);
      return id ? { refs: [ipSetRef(where, detectorId, id)] } : missing('responseElements.ipSetId');
    }
    case 'UpdateIPSet': {
      const id = child('ipSetId');
      return id ? { refs: [ipSetRef(where, detectorId, id)] } : missing('requestParameters.ipSetId');
    }
    case 'CreateFilter': {
      const name = child('name') ?? child('name', detail.responseElements);
      return name ? { refs: [filterRef(where, detectorId, name)] } : missing('filter name');
    }
    case 'UpdateFilter': {
      const name = child('filterName');
      return name ? { refs: [filterRef(where, detectorId, name)] } : missing('requestParameters.filterName');
    }
    case 'UpdatePublishingDestination':
    case 'DeletePublishingDestination': {
      const id = child('destinationId');
      return id ? { refs: [destinationRef(where, detectorId, id)] } : missing('requestParameters.destinationId');
    }
    default:
      return { ignore: `the GuardDuty guardrail does not handle ${detail.eventName.slice(0, 100)}` };
  }
}
