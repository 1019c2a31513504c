import { randomUUID } from 'node:crypto';
import { AUDIT_DETAIL_TYPE, AUDIT_SOURCE, type AuditRecord, SCHEMA_VERSION } from '../../controllers/core/record.js';

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

/**
 * An audit record as EventBridge delivers it from the central bus: `account` is the account that called
 * PutEvents (set by AWS, whatever the record says), `region` the central bus's region.
 */
export function envelopeOf(r: AuditRecord, sender: string = r.account, busRegion = 'us-east-1') {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': AUDIT_DETAIL_TYPE,
    source: AUDIT_SOURCE,
    account: sender,
    time: r.time.replace(/\.\d+Z$/, 'Z'),
    region: busRegion,
    resources: [],
    detail: r,
  };
}
