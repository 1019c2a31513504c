import { z } from 'zod';

/** Version of the audit record schema. Bump on any incompatible change. */
export const SCHEMA_VERSION = '1.0';
/** EventBridge `source` of every audit record. */
export const AUDIT_SOURCE = 'logwarden';
/** EventBridge `detail-type` of every audit record. */
export const AUDIT_DETAIL_TYPE = 'logwarden audit record';

/** Heartbeat records: one per deployment (account and region) on a schedule, so a silent one shows. */
export const HEARTBEAT_GUARDRAIL = 'heartbeat';
export const DEPLOYMENT_RESOURCE_TYPE = 'logwarden::Deployment';

export const OUTCOMES = ['remediated', 'compliant', 'exempt', 'drift-detected', 'failed', 'ignored', 'escalated'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** `unrecognised`: input that is not an event logwarden handles (its record is `ignored`, with the reason). */
const TRIGGER_TYPES = ['cloudtrail', 'config', 'sweep', 'cli', 'unrecognised'] as const;

const resourceSchema = z.object({
  type: z.string(),
  id: z.string(),
  arn: z.string().nullable(),
});
export type ResourceId = z.infer<typeof resourceSchema>;

const triggerSchema = z.object({
  type: z.enum(TRIGGER_TYPES),
  eventId: z.string().nullable(),
  eventName: z.string().nullable(),
  actor: z.string().nullable(),
});
export type Trigger = z.infer<typeof triggerSchema>;

const driftSchema = z.object({
  property: z.string(),
  observed: z.unknown(),
  desired: z.unknown(),
});
export type Drift = z.infer<typeof driftSchema>;

const actionSchema = z.object({
  api: z.string(),
  ok: z.boolean(),
  error: z.string().nullable(),
});
export type ActionResult = z.infer<typeof actionSchema>;

/** On `exempt` records: the policy exemption that applied (optional: older records lack it). */
const exemptionGrantSchema = z.object({
  expires: z.string(),
  approver: z.string().nullable(),
  ticket: z.string().nullable(),
});

/** The audit record: one per resource and trigger. Documented in the README. */
export const auditRecordSchema = z.object({
  schemaVersion: z.literal(SCHEMA_VERSION),
  id: z.string(),
  time: z.string(),
  guardrail: z.string(),
  account: z.string(),
  region: z.string(),
  resource: resourceSchema,
  trigger: triggerSchema,
  outcome: z.enum(OUTCOMES),
  reason: z.string(),
  mode: z.enum(['remediate', 'notify', 'dry-run']),
  drift: z.array(driftSchema),
  actions: z.array(actionSchema),
  verified: z.boolean().nullable(),
  retryable: z.boolean(),
  durationMs: z.number(),
  runbook: z.string(),
  truncated: z.boolean().optional(),
  exemption: exemptionGrantSchema.optional(),
  /** On sweep summary records (controllers/core/sweep-summary.ts): what the sweep checked. */
  sweep: z
    .object({
      checked: z.number(),
      outcomes: z.record(z.string(), z.number()),
      compliant: z.number(),
      compliantDigest: z.string(),
      /** The resources the sweep left alone, with the reason (at most 50 listed; `more` counts the rest). */
      ignored: z
        .object({
          resources: z.array(z.object({ type: z.string(), id: z.string(), reason: z.string() })),
          more: z.number(),
        })
        .optional(),
    })
    .optional(),
  /**
   * Signed or not, and what is needed to check the signature alone (controllers/core/signing.ts).
   * Loose on purpose: `logwarden audit --verify` reports a malformed one, the reader keeps the record.
   */
  integrity: z.object({ status: z.string() }).passthrough().optional(),
});
export type AuditRecord = z.infer<typeof auditRecordSchema>;
