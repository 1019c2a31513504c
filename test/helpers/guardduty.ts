import { GetDetectorCommand, GuardDutyClient, ListDetectorsCommand } from '@aws-sdk/client-guardduty';
import { apiCallEvent, type Identity } from '../../cli/events.js';
import type { AwsClients } from '../../controllers/core/aws.js';
import { ACCOUNT, REGION } from './emulator.js';

/** The protection plans the test policy governs. */
export const GOVERNED_FEATURES = {
  S3_DATA_EVENTS: 'ENABLED',
  EKS_AUDIT_LOGS: 'ENABLED',
  EBS_MALWARE_PROTECTION: 'ENABLED',
  RDS_LOGIN_EVENTS: 'ENABLED',
  RUNTIME_MONITORING: 'ENABLED',
} as const;

export function guardDutyPolicy(extra: Record<string, unknown> = {}) {
  return {
    mode: 'remediate',
    findingPublishingFrequency: 'FIFTEEN_MINUTES',
    features: { ...GOVERNED_FEATURES },
    ...extra,
  };
}

export const gd = (clients: AwsClients, region = REGION) => clients.get(GuardDutyClient, region);

/** Every detector of the region, read back from the emulator. */
export async function readDetectors(clients: AwsClients, region = REGION) {
  const ids = (await gd(clients, region).send(new ListDetectorsCommand({}))).DetectorIds ?? [];
  const detectors = [];
  for (const id of ids) {
    const d = await gd(clients, region).send(new GetDetectorCommand({ DetectorId: id }));
    detectors.push({
      id,
      status: d.Status,
      frequency: d.FindingPublishingFrequency,
      features: Object.fromEntries((d.Features ?? []).map((f) => [f.Name, f.Status])),
      tags: d.Tags ?? {},
    });
  }
  return detectors;
}

/** A CloudTrail API-call event from guardduty.amazonaws.com (request fields are lowerCamel). */
export function guardDutyEvent(
  eventName: string,
  requestParameters: Record<string, unknown> | null,
  opts: { identity?: Identity; errorCode?: string; responseElements?: Record<string, unknown> | null; region?: string } = {},
) {
  return apiCallEvent({
    account: ACCOUNT,
    region: opts.region ?? REGION,
    eventSource: 'guardduty.amazonaws.com',
    eventName,
    requestParameters,
    responseElements: opts.responseElements ?? null,
    identity: opts.identity,
    errorCode: opts.errorCode,
  });
}
