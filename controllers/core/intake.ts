import { z } from 'zod';
import type { Trigger } from './record.js';
import type { CloudTrailDetail } from './types.js';

/** The resource type Config uses for an evaluation about the account as a whole. */
export const ACCOUNT_RESOURCE_TYPE = 'AWS::::Account';

/** The name of logwarden's Config rule for a guardrail: the compliance-change rule matches on it. */
export function configRuleName(guardrailName: string): string {
  return `logwarden-${guardrailName}`;
}

/** EventBridge refuses events over 256 KB; anything larger did not come from it. */
export const MAX_EVENT_BYTES = 256 * 1024;

export const CLOUDTRAIL_DETAIL_TYPE = 'AWS API Call via CloudTrail';
export const CONFIG_DETAIL_TYPE = 'Config Rules Compliance Change';
const SCHEDULED_DETAIL_TYPE = 'Scheduled Event';

/** What an input event is, after validation. Never throws: bad input becomes `invalid`. */
export type Intake =
  | { kind: 'cloudtrail'; account: string; region: string; detail: CloudTrailDetail; trigger: Trigger }
  | {
      kind: 'config';
      account: string;
      region: string;
      resourceId: string;
      resourceType: string;
      configRuleName: string;
      complianceType: string | null;
      trigger: Trigger;
    }
  | { kind: 'sweep'; account: string; region: string; guardrail: string | null; trigger: Trigger }
  | { kind: 'invalid'; reason: string; account: string | null; region: string | null; trigger: Trigger };

const str = z.string().min(1).max(2048);
const envelopeSchema = z.object({
  'detail-type': str,
  source: str,
  account: z.string().regex(/^\d{12}$/, 'must be a 12-digit account id'),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be a region'),
  id: z.string().max(256).optional(),
  time: z.string().max(64).optional(),
  resources: z.array(z.unknown()).optional(),
  detail: z.unknown(),
});

const obj = z.record(z.string(), z.unknown());
const cloudTrailDetailSchema = z.object({
  eventName: z.string().min(1).max(256),
  eventSource: z.string().min(1).max(256),
  eventID: z.string().max(256).nullish(),
  awsRegion: z.string().max(64).nullish(),
  recipientAccountId: z.string().max(64).nullish(),
  errorCode: z.string().max(1024).nullish(),
  userIdentity: obj.nullish(),
  requestParameters: obj.nullish(),
  responseElements: obj.nullish(),
});

const configDetailSchema = z.object({
  resourceId: z.string().min(1).max(2048),
  resourceType: z.string().min(1).max(256),
  configRuleName: z.string().min(1).max(256),
  awsRegion: z.string().max(64).nullish(),
  awsAccountId: z.string().max(64).nullish(),
  newEvaluationResult: z
    .object({ complianceType: z.string().max(64).nullish() })
    .passthrough()
    .nullish(),
});

function issuesText(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || '(event)'}: ${i.message}`)
    .join('; ');
}

/** The best human name for who made a call. */
export function actorOf(userIdentity: Record<string, unknown> | null | undefined): string | null {
  if (!userIdentity) return null;
  for (const key of ['arn', 'principalId', 'invokedBy', 'type']) {
    const v = userIdentity[key];
    if (typeof v === 'string' && v) return v;
  }
  return null;
}

/** `userIdentity.sessionContext.sessionIssuer.arn`, when present. */
export function sessionIssuerArn(userIdentity: Record<string, unknown> | null | undefined): string | null {
  const ctx = userIdentity?.sessionContext;
  if (!ctx || typeof ctx !== 'object') return null;
  const issuer = (ctx as Record<string, unknown>).sessionIssuer;
  if (!issuer || typeof issuer !== 'object') return null;
  const arn = (issuer as Record<string, unknown>).arn;
  return typeof arn === 'string' && arn ? arn : null;
}

function jsonSize(value: unknown): number {
  try {
    return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/** The trigger of an input logwarden could not recognise (not an event, or of an unsupported kind). */
const unknownTrigger = (eventId: string | null = null, type: Trigger['type'] = 'unrecognised'): Trigger => ({
  type,
  eventId,
  eventName: null,
  actor: null,
});

type Envelope = z.infer<typeof envelopeSchema>;
type Invalid = Extract<Intake, { kind: 'invalid' }>;

const invalid = (
  reason: string,
  eventId: string | null = null,
  where?: { account: string; region: string },
  type?: Trigger['type'],
): Invalid => ({
  kind: 'invalid',
  reason,
  account: where?.account ?? null,
  region: where?.region ?? null,
  trigger: unknownTrigger(eventId, type),
});

/** Classify one EventBridge event. */
export function classify(input: unknown): Intake {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return invalid(`event is not a JSON object (${input === null ? 'null' : Array.isArray(input) ? 'array' : typeof input})`);
  }
  const size = jsonSize(input);
  const rawId = (input as Record<string, unknown>).id;
  const eventId = typeof rawId === 'string' ? rawId.slice(0, 256) : null;
  if (size > MAX_EVENT_BYTES) {
    return invalid(`event is ${size} bytes, over EventBridge's ${MAX_EVENT_BYTES}-byte limit`, eventId);
  }
  const env = envelopeSchema.safeParse(input);
  if (!env.success) return invalid(`not an EventBridge event: ${issuesText(env.error)}`, eventId);
  const e = env.data;
  const kindOf = e['detail-type'];
  if (kindOf === CLOUDTRAIL_DETAIL_TYPE) return cloudTrailIntake(e, eventId);
  if (kindOf === CONFIG_DETAIL_TYPE) return configIntake(e, eventId);
  if (kindOf === SCHEDULED_DETAIL_TYPE && e.source === 'aws.events') return sweepIntake(e, eventId);
  return invalid(`unsupported event: detail-type "${kindOf.slice(0, 100)}" from "${e.source.slice(0, 100)}"`, eventId, e);
}

function cloudTrailIntake(e: Envelope, eventId: string | null): Intake {
  const d = cloudTrailDetailSchema.safeParse(e.detail);
  if (!d.success) return invalid(`malformed CloudTrail record: ${issuesText(d.error)}`, eventId, e, 'cloudtrail');
  const detail: CloudTrailDetail = {
    eventName: d.data.eventName,
    eventSource: d.data.eventSource,
    eventID: d.data.eventID ?? null,
    awsRegion: d.data.awsRegion ?? e.region,
    recipientAccountId: d.data.recipientAccountId ?? null,
    errorCode: d.data.errorCode ?? null,
    userIdentity: d.data.userIdentity ?? null,
    requestParameters: d.data.requestParameters ?? null,
    responseElements: d.data.responseElements ?? null,
  };
  return {
    kind: 'cloudtrail',
    account: detail.recipientAccountId ?? e.account,
    region: e.region,
    detail,
    trigger: {
      type: 'cloudtrail',
      eventId: detail.eventID ?? eventId,
      eventName: detail.eventName,
      actor: actorOf(detail.userIdentity),
    },
  };
}

function configIntake(e: Envelope, eventId: string | null): Intake {
  const d = configDetailSchema.safeParse(e.detail);
  const trigger: Trigger = { type: 'config', eventId, eventName: 'ComplianceChange', actor: 'aws.config' };
  if (!d.success) {
    return {
      kind: 'invalid',
      reason: `malformed Config compliance event: ${issuesText(d.error)}`,
      account: e.account,
      region: e.region,
      trigger,
    };
  }
  return {
    kind: 'config',
    account: d.data.awsAccountId ?? e.account,
    region: d.data.awsRegion ?? e.region,
    resourceId: d.data.resourceId,
    resourceType: d.data.resourceType,
    configRuleName: d.data.configRuleName,
    complianceType: d.data.newEvaluationResult?.complianceType ?? null,
    trigger,
  };
}

function sweepIntake(e: Envelope, eventId: string | null): Intake {
  // The sweep rule is named logwarden-sweep-<guardrail>; its ARN is in `resources`.
  const named = (e.resources ?? [])
    .map((r) => (typeof r === 'string' ? /:rule\/logwarden-sweep-([a-z0-9-]+)$/.exec(r)?.[1] : undefined))
    .find((g): g is string => !!g);
  return {
    kind: 'sweep',
    account: e.account,
    region: e.region,
    guardrail: named ?? null,
    trigger: { type: 'sweep', eventId, eventName: 'ScheduledSweep', actor: 'aws.events' },
  };
}
