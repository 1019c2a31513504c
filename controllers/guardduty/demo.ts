import {
  CreateDetectorCommand,
  CreateFilterCommand,
  DeleteDetectorCommand,
  GetDetectorCommand,
  GuardDutyClient,
  ListDetectorsCommand,
  UpdateDetectorCommand,
} from '@aws-sdk/client-guardduty';
import { apiCallEvent } from '../../cli/events.js';
import type { DemoContext, DemoGuardrail } from '../core/demo.js';
import { guardduty } from './index.js';

const FEATURES = {
  S3_DATA_EVENTS: 'ENABLED',
  EKS_AUDIT_LOGS: 'ENABLED',
  EBS_MALWARE_PROTECTION: 'ENABLED',
  RDS_LOGIN_EVENTS: 'ENABLED',
  LAMBDA_NETWORK_LOGS: 'ENABLED',
  RUNTIME_MONITORING: 'ENABLED',
} as const;
const FREQUENCY = 'FIFTEEN_MINUTES';

const gd = (ctx: DemoContext) => ctx.clients.get(GuardDutyClient, ctx.region);
const event = (
  ctx: DemoContext,
  eventName: string,
  requestParameters: Record<string, unknown>,
  responseElements: Record<string, unknown> | null = null,
) =>
  apiCallEvent({
    account: ctx.account,
    region: ctx.region,
    eventSource: 'guardduty.amazonaws.com',
    eventName,
    requestParameters,
    responseElements,
  });

async function detectorIds(ctx: DemoContext): Promise<string[]> {
  return (await gd(ctx).send(new ListDetectorsCommand({}))).DetectorIds ?? [];
}

async function theDetector(ctx: DemoContext): Promise<string> {
  const [id] = await detectorIds(ctx);
  if (!id) throw new Error(`no GuardDuty detector in ${ctx.region}`);
  return id;
}

/** Null when the region has exactly one enabled detector with the demo policy's plans and frequency. */
async function detectorProblems(ctx: DemoContext): Promise<string | null> {
  try {
    const ids = await detectorIds(ctx);
    if (ids.length !== 1) return `${ids.length} detectors in ${ctx.region}`;
    const d = await gd(ctx).send(new GetDetectorCommand({ DetectorId: ids[0] }));
    const problems: string[] = [];
    if (d.Status !== 'ENABLED') problems.push(`detector ${d.Status}`);
    if (d.FindingPublishingFrequency !== FREQUENCY) problems.push(`frequency ${d.FindingPublishingFrequency}`);
    for (const [name, status] of Object.entries(FEATURES)) {
      const seen = d.Features?.find((f) => f.Name === name)?.Status ?? 'not reported';
      if (seen !== status) problems.push(`${name} ${seen}`);
    }
    return problems.length > 0 ? problems.join(', ') : null;
  } catch (error) {
    return `cannot read the detector: ${(error as Error).name}`;
  }
}

/** The GuardDuty part of the demo: the detector is deleted, suspended and weakened; findings are auto-archived. */
export const demo: DemoGuardrail = {
  guardrail: guardduty,
  policySection: () => ({ mode: 'remediate', findingPublishingFrequency: FREQUENCY, features: { ...FEATURES } }),
  async prepare(ctx) {
    // An account that turned GuardDuty on by hand long ago: default frequency, no protection plans.
    // The baseline sweep brings this detector to the policy; it never adds a second one.
    await gd(ctx).send(new CreateDetectorCommand({ Enable: true }));
  },
  async duplicates(ctx) {
    const ids = await detectorIds(ctx);
    return ids.length > 1 ? [`${ids.length} GuardDuty detectors in ${ctx.region}`] : [];
  },
  scenarios: [
    {
      title: 'GuardDuty: DeleteDetector',
      minimum: { calls: 3, why: 'ListDetectors (none left), CreateDetector with the plans, GetDetector (verify).' },
      async tamper(ctx) {
        const id = await theDetector(ctx);
        await gd(ctx).send(new DeleteDetectorCommand({ DetectorId: id }));
        return [event(ctx, 'DeleteDetector', { detectorId: id })];
      },
      check: detectorProblems,
    },
    {
      title: 'GuardDuty: UpdateDetector suspends the detector (enable: false)',
      minimum: { calls: 3, why: 'GetDetector, UpdateDetector, GetDetector (verify).' },
      async tamper(ctx) {
        const id = await theDetector(ctx);
        await gd(ctx).send(new UpdateDetectorCommand({ DetectorId: id, Enable: false }));
        return [event(ctx, 'UpdateDetector', { detectorId: id, enable: false })];
      },
      check: detectorProblems,
    },
    {
      title:
        'GuardDuty: UpdateDetector switches Runtime Monitoring off, publishing to six hours (moto then drops the other plans; AWS keeps them)',
      minimum: { calls: 3, why: 'GetDetector, UpdateDetector (frequency and plans in one call), GetDetector (verify).' },
      async tamper(ctx) {
        const id = await theDetector(ctx);
        await gd(ctx).send(
          new UpdateDetectorCommand({
            DetectorId: id,
            FindingPublishingFrequency: 'SIX_HOURS',
            Features: [{ Name: 'RUNTIME_MONITORING', Status: 'DISABLED' }],
          }),
        );
        return [
          event(ctx, 'UpdateDetector', {
            detectorId: id,
            findingPublishingFrequency: 'SIX_HOURS',
            features: [{ name: 'RUNTIME_MONITORING', status: 'DISABLED' }],
          }),
        ];
      },
      check: detectorProblems,
    },
    {
      title: 'GuardDuty: CreateFilter auto-archives every finding below high severity (reported for the security team)',
      minimum: { calls: 1, why: 'GetFilter to report what it suppresses; no write (report-only by design).' },
      async tamper(ctx) {
        const id = await theDetector(ctx);
        const criteria = { Criterion: { severity: { Lt: 7 } } };
        await gd(ctx).send(
          new CreateFilterCommand({ DetectorId: id, Name: 'quiet-please', Action: 'ARCHIVE', FindingCriteria: criteria }),
        );
        return [
          event(
            ctx,
            'CreateFilter',
            { detectorId: id, name: 'quiet-please', action: 'ARCHIVE', findingCriteria: { criterion: { severity: { lt: 7 } } } },
            { name: 'quiet-please' },
          ),
        ];
      },
      check: detectorProblems,
      expect: ['drift-detected'],
    },
  ],
};
