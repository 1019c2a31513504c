import { describe, expect, it } from 'vitest';
import type { CloudTrailDetail } from '../../controllers/core/types.js';
import {
  type DetectorState,
  desiredGuardDuty,
  diffGuardDuty,
  planGuardDuty,
  publishingDestinationProblem,
  reportOnlyReason,
} from '../../controllers/guardduty/diff.js';
import { destinationRef, detectorRef, filterRef, refsFromEvent } from '../../controllers/guardduty/events.js';
import { guardDutyPolicySchema } from '../../controllers/guardduty/policy.js';

const where = { account: '123456789012', region: 'us-east-1' };
const policy = (extra: Record<string, unknown> = {}) =>
  guardDutyPolicySchema.parse({
    findingPublishingFrequency: 'FIFTEEN_MINUTES',
    features: { S3_DATA_EVENTS: 'ENABLED', RUNTIME_MONITORING: 'ENABLED' },
    ...extra,
  });
const detail = (
  eventName: string,
  requestParameters: Record<string, unknown> | null,
  responseElements = null,
): CloudTrailDetail => ({
  eventName,
  eventSource: 'guardduty.amazonaws.com',
  eventID: 'e-1',
  awsRegion: 'us-east-1',
  recipientAccountId: where.account,
  errorCode: null,
  userIdentity: null,
  requestParameters,
  responseElements,
});
const compliant: Extract<DetectorState, { exists: true }> = {
  kind: 'detector',
  exists: true,
  id: 'd1',
  detectorCount: 1,
  status: 'ENABLED',
  findingPublishingFrequency: 'FIFTEEN_MINUTES',
  features: { S3_DATA_EVENTS: 'ENABLED', RUNTIME_MONITORING: 'ENABLED', LAMBDA_NETWORK_LOGS: 'DISABLED' },
  tags: {},
  administrator: null,
};

describe('GuardDuty policy section', () => {
  it('applies the defaults: remediate, no features governed, suppression reported', () => {
    expect(guardDutyPolicySchema.parse({})).toEqual({
      mode: 'remediate',
      features: {},
      trustedIpSets: 'notify',
      archiveFilters: 'notify',
    });
  });

  it('rejects RUNTIME_MONITORING and EKS_RUNTIME_MONITORING enabled together, unknown features and frequencies', () => {
    const both = guardDutyPolicySchema.safeParse({
      features: { RUNTIME_MONITORING: 'ENABLED', EKS_RUNTIME_MONITORING: 'ENABLED' },
    });
    expect(both.success).toBe(false);
    expect(both.error?.issues[0]?.path).toEqual(['features', 'EKS_RUNTIME_MONITORING']);
    expect(guardDutyPolicySchema.safeParse({ features: { DNS_LOGS: 'ENABLED' } }).success).toBe(false);
    expect(guardDutyPolicySchema.safeParse({ findingPublishingFrequency: 'ONE_DAY' }).success).toBe(false);
    expect(guardDutyPolicySchema.safeParse({ regions: ['us-east-1', 'us-east-1'] }).success).toBe(false);
    expect(guardDutyPolicySchema.safeParse({ typo: true }).success).toBe(false);
  });
});

describe('GuardDuty events → refs', () => {
  it('maps each handled event to the resource it touches', () => {
    const p = policy();
    const ids = (d: CloudTrailDetail) => {
      const r = refsFromEvent(d, p, where);
      return 'refs' in r ? r.refs.map((x) => [x.type, x.id, x.arn]) : r.ignore;
    };
    const det = 'arn:aws:guardduty:us-east-1:123456789012:detector/d1';
    expect(ids(detail('DeleteDetector', { detectorId: 'd1' }))).toEqual([['AWS::GuardDuty::Detector', 'd1', det]]);
    expect(ids(detail('UpdateDetector', { detectorId: 'd1', enable: false }))).toEqual([['AWS::GuardDuty::Detector', 'd1', det]]);
    expect(ids(detail('CreateIPSet', { detectorId: 'd1', activate: true }, { ipSetId: 'ip1' } as never))).toEqual([
      ['AWS::GuardDuty::IPSet', 'ip1', `${det}/ipset/ip1`],
    ]);
    expect(ids(detail('UpdateIPSet', { detectorId: 'd1', ipSetId: 'ip1', activate: true }))).toEqual([
      ['AWS::GuardDuty::IPSet', 'ip1', `${det}/ipset/ip1`],
    ]);
    expect(ids(detail('CreateFilter', { detectorId: 'd1', name: 'f', action: 'ARCHIVE' }))).toEqual([
      ['AWS::GuardDuty::Filter', 'f', `${det}/filter/f`],
    ]);
    expect(ids(detail('UpdateFilter', { detectorId: 'd1', filterName: 'f', action: 'ARCHIVE' }))).toEqual([
      ['AWS::GuardDuty::Filter', 'f', `${det}/filter/f`],
    ]);
    for (const name of ['UpdatePublishingDestination', 'DeletePublishingDestination']) {
      expect(ids(detail(name, { detectorId: 'd1', destinationId: 'pd1' }))).toEqual([
        ['AWS::GuardDuty::PublishingDestination', 'pd1', `${det}/publishingDestination/pd1`],
      ]);
    }
    for (const name of ['DisassociateFromMasterAccount', 'DisassociateFromAdministratorAccount']) {
      expect(ids(detail(name, { detectorId: 'd1' }))).toEqual([['AWS::GuardDuty::Master', 'd1', det]]);
    }
  });

  it('bad input becomes a clear ignore reason, never a throw', () => {
    const p = policy();
    const reason = (d: CloudTrailDetail) => {
      const r = refsFromEvent(d, p, where);
      return 'ignore' in r ? r.ignore : 'refs';
    };
    expect(reason(detail('DeleteDetector', null))).toBe(
      'DeleteDetector event without requestParameters; cannot tell which detector',
    );
    expect(reason(detail('UpdateDetector', { detectorId: 42 }))).toBe(
      'UpdateDetector event without a valid requestParameters.detectorId',
    );
    expect(reason(detail('UpdateDetector', { detectorId: 'x'.repeat(301) }))).toBe(
      'UpdateDetector event without a valid requestParameters.detectorId',
    );
    expect(reason(detail('CreateIPSet', { detectorId: 'd1', activate: true }))).toBe(
      'CreateIPSet event without a valid responseElements.ipSetId; cannot tell which one',
    );
    expect(reason(detail('UpdateFilter', { detectorId: 'd1', filterName: '../../etc' }))).toBe(
      'UpdateFilter event without a valid requestParameters.filterName; cannot tell which one',
    );
    const limited = refsFromEvent(detail('DeleteDetector', { detectorId: 'd1' }), policy({ regions: ['eu-west-1'] }), where);
    expect(limited).toEqual({ ignore: "GuardDuty is not governed in us-east-1 (not in the policy's guardduty.regions)" });
  });
});

describe('GuardDuty diff and plan', () => {
  const d = desiredGuardDuty(policy());

  it('a compliant detector has no drift; ungoverned features are not compared', () => {
    expect(diffGuardDuty(compliant, d)).toEqual([]);
  });

  it('a missing detector is one CreateDetector', () => {
    const drift = diffGuardDuty({ kind: 'detector', exists: false }, d);
    expect(drift).toEqual([{ property: 'exists', observed: false, desired: true }]);
    expect(planGuardDuty({ kind: 'detector', exists: false }, d, drift).map((s) => s.api)).toEqual(['guardduty:CreateDetector']);
  });

  it('suspended, frequency and one plan off → one UpdateDetector sending only what drifted', () => {
    const state = {
      ...compliant,
      status: 'DISABLED',
      findingPublishingFrequency: 'SIX_HOURS',
      features: { ...compliant.features, S3_DATA_EVENTS: 'DISABLED' },
    };
    const drift = diffGuardDuty(state, d);
    expect(drift.map((x) => x.property)).toEqual(['status', 'findingPublishingFrequency', 'features.S3_DATA_EVENTS']);
    expect(planGuardDuty(state, d, drift)).toEqual([
      {
        api: 'guardduty:UpdateDetector',
        detectorId: 'd1',
        enable: true,
        findingPublishingFrequency: 'FIFTEEN_MINUTES',
        features: [{ name: 'S3_DATA_EVENTS', status: 'ENABLED' }],
        description: 'enable the detector; set the publishing frequency to FIFTEEN_MINUTES; set S3_DATA_EVENTS=ENABLED',
      },
    ]);
  });

  it('a governed plan the detector does not report is drift (fail closed)', () => {
    const state = { ...compliant, features: { S3_DATA_EVENTS: 'ENABLED' } };
    expect(diffGuardDuty(state, d)).toEqual([
      { property: 'features.RUNTIME_MONITORING', observed: 'NOT_REPORTED', desired: 'ENABLED' },
    ]);
  });

  it('a policy may keep a plan DISABLED; an ungoverned frequency is not compared', () => {
    const off = desiredGuardDuty(guardDutyPolicySchema.parse({ features: { LAMBDA_NETWORK_LOGS: 'DISABLED' } }));
    expect(diffGuardDuty({ ...compliant, findingPublishingFrequency: 'SIX_HOURS' }, off)).toEqual([]);
    expect(diffGuardDuty({ ...compliant, features: { LAMBDA_NETWORK_LOGS: 'ENABLED' } }, off)).toEqual([
      { property: 'features.LAMBDA_NETWORK_LOGS', observed: 'ENABLED', desired: 'DISABLED' },
    ]);
  });

  it('member of an administrator, or more than one detector → reported only', () => {
    const member = {
      ...compliant,
      status: 'DISABLED',
      administrator: { accountId: '111111111111', relationshipStatus: 'Enabled' },
    };
    const drift = diffGuardDuty(member, d);
    expect(reportOnlyReason(detectorRef(where, 'd1'), member, drift, d)).toContain('member of administrator 111111111111');
    const removed = { ...member, administrator: { accountId: '111111111111', relationshipStatus: 'Removed' } };
    expect(reportOnlyReason(detectorRef(where, 'd1'), removed, drift, d)).toBeNull();
    const two = { ...compliant, detectorCount: 2 };
    expect(reportOnlyReason(detectorRef(where, 'd1'), two, diffGuardDuty(two, d), d)).toContain('2 detectors in us-east-1');
    expect(reportOnlyReason(detectorRef(where, 'd1'), compliant, [], d)).toBeNull();
  });

  it('auto-archive filters: drift with the details; reported by default, deleted when the policy says remediate', () => {
    const filter = {
      kind: 'filter' as const,
      exists: true as const,
      action: 'ARCHIVE',
      description: null,
      rank: 1,
      findingCriteria: { Criterion: {} },
      tags: {},
    };
    const drift = diffGuardDuty(filter, d);
    expect(drift).toHaveLength(1);
    expect(planGuardDuty(filter, d, drift).map((s) => s.api)).toEqual(['guardduty:DeleteFilter']);
    expect(reportOnlyReason(filterRef(where, 'd1', 'f'), filter, drift, d)).toContain('archiveFilters is notify');
    const fix = desiredGuardDuty(policy({ archiveFilters: 'remediate' }));
    expect(reportOnlyReason(filterRef(where, 'd1', 'f'), filter, drift, fix)).toBeNull();
    expect(diffGuardDuty({ ...filter, action: 'NOOP' }, d)).toEqual([]);
  });

  it('delivery: a publishing destination not PUBLISHING is drift with its status, a failure logwarden cannot fix, no write', () => {
    const dest = {
      kind: 'destination' as const,
      exists: true as const,
      status: 'PUBLISHING',
      destinationType: 'S3',
      destinationArn: 'arn:aws:s3:::findings-export',
      kmsKeyArn: null,
      tags: {},
    };
    expect(diffGuardDuty(dest, d)).toEqual([]);
    for (const status of ['STOPPED', 'UNABLE_TO_PUBLISH_FIX_DESTINATION_PROPERTY', 'PENDING_VERIFICATION']) {
      const drift = diffGuardDuty({ ...dest, status }, d);
      expect(drift).toEqual([
        {
          property: 'publishingDestination.status',
          observed: { status, destinationType: 'S3', destinationArn: 'arn:aws:s3:::findings-export' },
          desired: 'PUBLISHING',
        },
      ]);
      expect(planGuardDuty({ ...dest, status }, d, drift)).toEqual([]);
      expect(reportOnlyReason(destinationRef(where, 'd1', 'pd1'), { ...dest, status }, drift, d)).toBeNull();
      expect(publishingDestinationProblem(destinationRef(where, 'd1', 'pd1'), { ...dest, status }, drift)).toContain(
        `pd1 is ${status}, not PUBLISHING`,
      );
    }
  });

  it('membership: compliant with the configured administrator only', () => {
    const withAdmin = desiredGuardDuty(policy({ administratorAccountId: '111111111111' }));
    const state = {
      kind: 'membership' as const,
      detectorExists: true as const,
      administrator: { accountId: '222222222222', relationshipStatus: 'Enabled' },
      tags: {},
    };
    expect(diffGuardDuty(state, d)).toEqual([]);
    expect(diffGuardDuty(state, withAdmin)).toEqual([
      { property: 'administrator', observed: state.administrator, desired: '111111111111' },
    ]);
  });
});
