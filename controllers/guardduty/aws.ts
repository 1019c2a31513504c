import {
  CreateDetectorCommand,
  DeleteFilterCommand,
  DescribePublishingDestinationCommand,
  GetAdministratorAccountCommand,
  GetDetectorCommand,
  type GetDetectorCommandOutput,
  GetFilterCommand,
  GetIPSetCommand,
  GuardDutyClient,
  ListDetectorsCommand,
  paginateListPublishingDestinations,
  UpdateDetectorCommand,
  UpdateIPSetCommand,
} from '@aws-sdk/client-guardduty';
import { errorCode, errorMessage, RemediationError } from '../core/errors.js';
import { MANAGED_TAG } from '../core/tags.js';
import type { Observation, Scope } from '../core/types.js';
import type {
  Administrator,
  DesiredGuardDuty,
  DestinationState,
  DetectorState,
  FilterState,
  GuardDutyState,
  GuardDutyStep,
  IpSetState,
  MembershipState,
} from './diff.js';
import { type DetectorRef, destinationRef, detectorRef, type GuardDutyRef } from './events.js';
import { FEATURES, type FeatureName, type GuardDutyPolicy } from './policy.js';

const client = (scope: Scope<GuardDutyPolicy>, region: string) => scope.clients.get(GuardDutyClient, region);

/** Errors that mean GuardDuty cannot be reached in the region at all. */
const UNAVAILABLE = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'UnrecognizedClientException',
  'SubscriptionRequiredException',
  'OptInRequired',
  'InvalidClientTokenId',
]);

/**
 * GuardDuty answers "not found" for a detector, filter, IP set or destination with a
 * BadRequestException (the emulator: InvalidInputException), not a dedicated code.
 */
function isNotFound(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'BadRequestException' || code === 'InvalidInputException' || code === 'NotFoundException';
}

/** The detector ids of a region; an unreachable GuardDuty becomes a clear, non-retryable error. */
export async function listDetectorIds(scope: Scope<GuardDutyPolicy>, region: string): Promise<string[]> {
  try {
    const out = await client(scope, region).send(new ListDetectorsCommand({}));
    return out.DetectorIds ?? [];
  } catch (error) {
    const code = errorCode(error);
    if (UNAVAILABLE.has(code)) {
      throw new RemediationError(
        'GuardDutyUnavailable',
        `GuardDuty cannot be reached in ${region} (not offered there, or the region is not enabled for the account): ${code}: ${errorMessage(error)}`,
        false,
        { cause: error },
      );
    }
    throw error;
  }
}

/**
 * An endpoint that does not serve the operation at all: HTTP 404 with a body that is no AWS error
 * (the emulator, moto 5.2.5, has no publishing destinations). GuardDuty itself answers every request
 * of a known operation with a JSON error, so this never hides an AWS failure.
 */
function isUnservedOperation(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
  return status === 404 && (error as { $fault?: unknown } | null)?.$fault === undefined;
}

/**
 * The detector's publishing destinations, for a sweep (ListPublishingDestinations, paginated): each is
 * then observed like a destination named by an event. Any failure but an unserved operation throws:
 * the sweep then says its listing is incomplete.
 */
export async function listDestinationRefs(scope: Scope<GuardDutyPolicy>, detectorId: string): Promise<GuardDutyRef[]> {
  const refs: GuardDutyRef[] = [];
  try {
    for await (const page of paginateListPublishingDestinations(
      { client: client(scope, scope.region) },
      { DetectorId: detectorId },
    )) {
      for (const d of page.Destinations ?? []) if (d.DestinationId) refs.push(destinationRef(scope, detectorId, d.DestinationId));
    }
  } catch (error) {
    if (!isUnservedOperation(error)) throw error;
    scope.logger.warn('publishing destinations not listed: the endpoint does not serve ListPublishingDestinations', {
      region: scope.region,
    });
  }
  return refs;
}

/** Protection-plan status per feature: `features` first, the legacy `dataSources` where a feature is missing. */
function featureStatuses(d: GetDetectorCommandOutput): Partial<Record<FeatureName, string>> {
  const out: Partial<Record<FeatureName, string>> = {};
  const legacy: Partial<Record<FeatureName, string | undefined>> = {
    S3_DATA_EVENTS: d.DataSources?.S3Logs?.Status,
    EKS_AUDIT_LOGS: d.DataSources?.Kubernetes?.AuditLogs?.Status,
    EBS_MALWARE_PROTECTION: d.DataSources?.MalwareProtection?.ScanEc2InstanceWithFindings?.EbsVolumes?.Status,
  };
  for (const name of FEATURES) {
    const status = d.Features?.find((f) => f.Name === name)?.Status ?? legacy[name];
    if (status) out[name] = status;
  }
  return out;
}

function administratorOf(out: { Administrator?: { AccountId?: string; RelationshipStatus?: string } }): Administrator | null {
  const a = out.Administrator;
  return a?.AccountId ? { accountId: a.AccountId, relationshipStatus: a.RelationshipStatus ?? 'UNKNOWN' } : null;
}

/** The detector's tags, or null when it does not exist. */
async function detectorTags(scope: Scope<GuardDutyPolicy>, region: string, detectorId: string) {
  try {
    const d = await client(scope, region).send(new GetDetectorCommand({ DetectorId: detectorId }));
    return d.Tags ?? {};
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

/**
 * The region's detector: ListDetectors, then GetDetector and GetAdministratorAccount in parallel
 * (three reads). When the named detector is gone but another exists, that one is read: the
 * region must have one enabled detector, whatever its id.
 */
async function observeDetector(
  ref: DetectorRef,
  scope: Scope<GuardDutyPolicy>,
  observation: Observation<GuardDutyState, GuardDutyStep> = { purpose: 'decide' },
): Promise<DetectorState> {
  const before = observation.purpose === 'verify' ? observation.before : null;
  if (before?.kind === 'detector' && before.exists && observation.purpose === 'verify') {
    // UpdateDetector changes only what GetDetector reports: the detector list and administrator stay as seen.
    if (observation.steps.every((s) => s.api === 'guardduty:UpdateDetector')) return rereadDetector(before, scope, ref.region);
  }
  const ids = await listDetectorIds(scope, ref.region);
  const id = ids.includes(ref.id) ? ref.id : ids[0];
  if (!id) return { kind: 'detector', exists: false };
  const detector = await getDetector(scope, ref.region, id);
  if (!detector) return { kind: 'detector', exists: false };
  const admin = await client(scope, ref.region).send(new GetAdministratorAccountCommand({ DetectorId: id }));
  return {
    ...detectorSettings(detector),
    kind: 'detector',
    exists: true,
    id,
    detectorCount: ids.length,
    administrator: administratorOf(admin),
  };
}

type ExistingDetector = Extract<DetectorState, { exists: true }>;

/** GetDetector, or null when it is gone (deleted between two reads). */
async function getDetector(scope: Scope<GuardDutyPolicy>, region: string, id: string): Promise<GetDetectorCommandOutput | null> {
  try {
    return await client(scope, region).send(new GetDetectorCommand({ DetectorId: id }));
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

function detectorSettings(detector: GetDetectorCommandOutput) {
  return {
    status: detector.Status ?? 'UNKNOWN',
    findingPublishingFrequency: detector.FindingPublishingFrequency ?? null,
    features: featureStatuses(detector),
    tags: detector.Tags ?? {},
  };
}

async function rereadDetector(before: ExistingDetector, scope: Scope<GuardDutyPolicy>, region: string): Promise<DetectorState> {
  const detector = await getDetector(scope, region, before.id);
  return detector ? { ...before, ...detectorSettings(detector) } : { kind: 'detector', exists: false };
}

type ChildRef = GuardDutyRef & { detectorId: string };
type Child = FilterState | IpSetState | DestinationState;

/**
 * A resource of the detector (filter, IP set, publishing destination): the detector's tags (for
 * exemptions) and one read; gone when the detector or the resource is.
 */
async function observeChild<S extends Child>(
  kind: S['kind'],
  ref: ChildRef,
  scope: Scope<GuardDutyPolicy>,
  read: (gd: GuardDutyClient) => Promise<Omit<Extract<S, { exists: true }>, 'kind' | 'exists' | 'tags'>>,
): Promise<S> {
  const tags = await detectorTags(scope, ref.region, ref.detectorId);
  if (tags === null) return { kind, exists: false, tags: {} } as S;
  try {
    return { kind, exists: true, ...(await read(client(scope, ref.region))), tags } as unknown as S;
  } catch (error) {
    if (isNotFound(error)) return { kind, exists: false, tags } as S;
    throw error;
  }
}

const observeFilter = (ref: ChildRef, scope: Scope<GuardDutyPolicy>) =>
  observeChild<FilterState>('filter', ref, scope, async (gd) => {
    const f = await gd.send(new GetFilterCommand({ DetectorId: ref.detectorId, FilterName: ref.id }));
    return {
      action: f.Action ?? 'NOOP',
      description: f.Description ?? null,
      rank: f.Rank ?? null,
      findingCriteria: f.FindingCriteria ?? null,
    };
  });

const observeIpSet = (ref: ChildRef, scope: Scope<GuardDutyPolicy>) =>
  observeChild<IpSetState>('ipset', ref, scope, async (gd) => {
    const set = await gd.send(new GetIPSetCommand({ DetectorId: ref.detectorId, IpSetId: ref.id }));
    return {
      name: set.Name ?? null,
      status: set.Status ?? 'UNKNOWN',
      format: set.Format ?? null,
      location: set.Location ?? null,
    };
  });

const observeDestination = (ref: ChildRef, scope: Scope<GuardDutyPolicy>) =>
  observeChild<DestinationState>('destination', ref, scope, async (gd) => {
    const dest = await gd.send(new DescribePublishingDestinationCommand({ DetectorId: ref.detectorId, DestinationId: ref.id }));
    return {
      status: dest.Status ?? null,
      destinationType: dest.DestinationType ?? null,
      destinationArn: dest.DestinationProperties?.DestinationArn ?? null,
      kmsKeyArn: dest.DestinationProperties?.KmsKeyArn ?? null,
    };
  });

async function observeMembership(ref: ChildRef, scope: Scope<GuardDutyPolicy>): Promise<MembershipState> {
  const tags = await detectorTags(scope, ref.region, ref.detectorId);
  if (tags === null) return { kind: 'membership', detectorExists: false, tags: {} };
  const out = await client(scope, ref.region).send(new GetAdministratorAccountCommand({ DetectorId: ref.detectorId }));
  return { kind: 'membership', detectorExists: true, administrator: administratorOf(out), tags };
}

/**
 * The detector a DeleteDetector / UpdateDetector event is about, level-based: the named detector
 * when it still exists, else the region's detector (deleted twice in a row, an unknown id: the
 * region must still have one enabled detector), else the named one, to be recreated.
 */
export async function resolveDetectorRef(ref: DetectorRef, scope: Scope<GuardDutyPolicy>): Promise<DetectorRef> {
  const ids = await listDetectorIds(scope, ref.region);
  const current = ids.includes(ref.id) ? ref.id : ids[0];
  return current ? detectorRef({ account: scope.account, region: ref.region }, current) : ref;
}

/** Read the real state of any GuardDuty resource. */
export function observeGuardDuty(
  ref: GuardDutyRef,
  scope: Scope<GuardDutyPolicy>,
  observation?: Observation<GuardDutyState, GuardDutyStep>,
): Promise<GuardDutyState> {
  switch (ref.kind) {
    case 'detector':
      return observeDetector(ref, scope, observation);
    case 'filter':
      return observeFilter(ref, scope);
    case 'ipset':
      return observeIpSet(ref, scope);
    case 'destination':
      return observeDestination(ref, scope);
    case 'membership':
      return observeMembership(ref, scope);
  }
}

/** Make one write. */
export async function applyGuardDutyStep(
  step: GuardDutyStep,
  ref: GuardDutyRef,
  d: DesiredGuardDuty,
  scope: Scope<GuardDutyPolicy>,
): Promise<void> {
  const gd = client(scope, ref.region);
  switch (step.api) {
    case 'guardduty:CreateDetector': {
      // Never a second detector: AWS refuses one, the emulator does not. Re-check right before creating
      // (a concurrent invocation may have created it); the verification then reads the one that exists.
      if ((await listDetectorIds(scope, ref.region)).length > 0) return;
      try {
        await gd.send(
          new CreateDetectorCommand({
            Enable: true,
            FindingPublishingFrequency: d.findingPublishingFrequency ?? undefined,
            Features: d.features.length > 0 ? d.features.map((f) => ({ Name: f.name, Status: f.status })) : undefined,
            Tags: { [MANAGED_TAG]: 'true' },
          }),
        );
      } catch (error) {
        // A detector created concurrently makes this fail with a BadRequestException; then the one
        // that exists is what the verification reads. Anything else is a real failure.
        if (errorCode(error) !== 'BadRequestException' || (await listDetectorIds(scope, ref.region)).length === 0) throw error;
      }
      return;
    }
    case 'guardduty:UpdateDetector':
      await gd.send(
        new UpdateDetectorCommand({
          DetectorId: step.detectorId,
          Enable: step.enable,
          FindingPublishingFrequency: step.findingPublishingFrequency,
          Features: step.features?.map((f) => ({ Name: f.name, Status: f.status })),
        }),
      );
      return;
    case 'guardduty:DeleteFilter':
      if (ref.kind === 'filter') await gd.send(new DeleteFilterCommand({ DetectorId: ref.detectorId, FilterName: ref.id }));
      return;
    case 'guardduty:UpdateIPSet':
      if (ref.kind === 'ipset')
        await gd.send(new UpdateIPSetCommand({ DetectorId: ref.detectorId, IpSetId: ref.id, Activate: false }));
      return;
  }
}
