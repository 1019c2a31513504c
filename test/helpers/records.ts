import { randomUUID } from 'node:crypto';
import { type AuditRecord, SCHEMA_VERSION } from '../../controllers/core/record.js';

/** A valid audit record with the given fields. */
export function record(fields: Partial<AuditRecord> = {}): AuditRecord {
  return {
    schemaVersion: SCHEMA_VERSION,
    id: randomUUID(),
    time: '2026-11-26T10:00:00.000Z',
    guardrail: 'cloudtrail',
    account: '123456789012',
    region: 'us-east-1',
    resource: { type: 'AWS::CloudTrail::Trail', id: 'main', arn: null },
    trigger: { type: 'cloudtrail', eventId: 'e-1', eventName: 'StopLogging', actor: 'arn:aws:iam::123456789012:user/mallory' },
    outcome: 'remediated',
    reason: 'restored isLogging',
    mode: 'remediate',
    drift: [{ property: 'isLogging', observed: false, desired: true }],
    actions: [{ api: 'cloudtrail:StartLogging', ok: true, error: null }],
    verified: true,
    retryable: false,
    durationMs: 12,
    runbook: 'runbooks/cloudtrail.md',
    ...fields,
  };
}
