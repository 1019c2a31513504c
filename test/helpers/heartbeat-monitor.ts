import { randomUUID } from 'node:crypto';
import { parsePolicy } from '../../controllers/core/policy.js';
import { AUDIT_DETAIL_TYPE, AUDIT_SOURCE } from '../../controllers/core/record.js';
import { heartbeatRecord } from '../../controllers/heartbeat/index.js';
import type { MonitorSettings } from '../../controllers/monitor/settings.js';
import { REGION } from './emulator.js';
import { policyWith } from './policy.js';

/** The central account in these tests (moto's default account is a member that beats). */
export const CENTRAL = '222222222222';
export const MANAGEMENT = '111111111111';

export function monitorSettingsFor(fields: Partial<MonitorSettings> = {}): MonitorSettings {
  return {
    table: 'logwarden-heartbeats',
    expectedFrom: 'stackset',
    regions: [REGION],
    heartbeatMinutes: 15,
    stackSet: { name: 'logwarden-member', region: REGION, callAs: 'SELF' },
    managementAccount: MANAGEMENT,
    ...fields,
  };
}

/**
 * A member's beat as EventBridge delivers it to the monitor: the envelope's `account` is the account
 * that put it (set by AWS), the record's `account` is what the sender claims (the same, unless forged).
 */
export function beatEnvelope(o: { account: string; region?: string; claimedAccount?: string; time?: Date }) {
  const region = o.region ?? REGION;
  const detail = heartbeatRecord({
    account: o.claimedAccount ?? o.account,
    region,
    policy: parsePolicy(policyWith({}), [], 'p', { onlyThese: false }),
    eventId: 'e-beat',
    now: o.time ?? new Date(),
  });
  return {
    version: '0',
    id: randomUUID(),
    source: AUDIT_SOURCE,
    'detail-type': AUDIT_DETAIL_TYPE,
    account: o.account,
    time: (o.time ?? new Date()).toISOString(),
    // The central bus's region, whatever region the beat is about.
    region: REGION,
    resources: [],
    detail,
  };
}

/** The check's schedule event as EventBridge delivers it. */
export function scheduledEvent(account = CENTRAL) {
  return {
    version: '0',
    id: randomUUID(),
    source: 'aws.events',
    'detail-type': 'Scheduled Event',
    account,
    time: new Date().toISOString(),
    region: REGION,
    resources: [`arn:aws:events:${REGION}:${account}:rule/logwarden-heartbeat-check`],
    detail: {},
  };
}
