import { describe, expect, it } from 'vitest';
import { summarize } from '../../cli/audit/summary.js';
import { ConfigError } from '../../controllers/core/errors.js';
import { auditRecordSchema } from '../../controllers/core/record.js';
import {
  classifyInput,
  expectedFromAccounts,
  expectedFromInstances,
  HEARTBEAT_EVENT_NAME,
  MONITOR_EVENT_NAME,
  missingDeployments,
} from '../../controllers/monitor/decide.js';
import { malformedRecord, mismatchRecord, missingRecord, unknownExpectedSetRecord } from '../../controllers/monitor/records.js';
import { MONITOR_SETTINGS_VARIABLE, parseMonitorSettings } from '../../controllers/monitor/settings.js';
import { REGION } from '../helpers/emulator.js';
import { beatEnvelope, CENTRAL, monitorSettingsFor, scheduledEvent } from '../helpers/heartbeat-monitor.js';

const NOW = new Date('2026-11-30T12:00:00Z');
const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000);
const A = '100000000001';
const B = '100000000002';
const C = '100000000003';
const at = (account: string, region = REGION) => ({ account, region });
const origin = { account: CENTRAL, region: REGION, eventId: 'check-1', now: NOW };

describe('which deployments are missing (pure)', () => {
  const expected = [at(A), at(B), at(C), at(A, 'eu-west-1')];

  it('reports the ones whose last beat is older than two periods, or that never beat, in expected order', () => {
    const beats = [
      { ...at(A), lastSeen: minutesAgo(5) },
      { ...at(B), lastSeen: minutesAgo(31) },
      { ...at(A, 'eu-west-1'), lastSeen: minutesAgo(30) },
    ];
    const missing = missingDeployments({ expected, beats, now: NOW, heartbeatMinutes: 15 });
    expect(missing).toEqual([
      { ...at(B), lastSeen: minutesAgo(31), ageMinutes: 31 },
      { ...at(C), lastSeen: null, ageMinutes: null },
    ]);
  });

  it('reports nothing when every expected deployment beat within two periods; beats of unexpected ones do not count', () => {
    const beats = [...expected.map((d) => ({ ...d, lastSeen: minutesAgo(29) })), { ...at('999999999999'), lastSeen: NOW }];
    expect(missingDeployments({ expected, beats, now: NOW, heartbeatMinutes: 15 })).toEqual([]);
    // The same beats are late with a 10-minute period: 29 > 20.
    expect(missingDeployments({ expected, beats, now: NOW, heartbeatMinutes: 10 })).toHaveLength(4);
  });

  it('one account’s extra beats never hide another’s silence (the old org-wide count did)', () => {
    const beats = [{ ...at(A), lastSeen: NOW }];
    expect(missingDeployments({ expected: [at(A), at(B)], beats, now: NOW, heartbeatMinutes: 15 }).map((m) => m.account)).toEqual(
      [B],
    );
  });
});

describe('the expected set (pure)', () => {
  const instance = (account: string, region: string, detailedStatus: string | null = 'SUCCEEDED') => ({
    account,
    region,
    detailedStatus,
  });

  it('StackSet: every instance, plus the management account in each rollout region (StackSets skip it)', () => {
    const expected = expectedFromInstances([instance(A, REGION), instance(B, 'eu-west-1', 'FAILED'), instance(A, REGION)], {
      managementAccount: C,
      regions: [REGION, 'eu-west-1'],
      known: new Set(),
    });
    expect(expected).toEqual([at(A), at(B, 'eu-west-1'), at(C), at(C, 'eu-west-1')]);
  });

  it('StackSet: an instance still being created is expected only if it has beaten before', () => {
    const instances = [instance(A, REGION, 'PENDING'), instance(B, REGION, 'RUNNING')];
    const expected = expectedFromInstances(instances, {
      managementAccount: C,
      regions: [REGION],
      known: new Set([`${B}/${REGION}`]),
    });
    expect(expected).toEqual([at(B), at(C)]);
  });

  it('Organizations: ACTIVE accounts × regions, minus the excluded accounts', () => {
    const accounts = [
      { id: A, state: 'ACTIVE' },
      { id: B, state: 'SUSPENDED' },
      { id: C, state: 'ACTIVE' },
      { id: '100000000004', state: null },
    ];
    expect(expectedFromAccounts(accounts, { regions: [REGION, 'eu-west-1'], excludeAccounts: [C] })).toEqual([
      at(A),
      at(A, 'eu-west-1'),
    ]);
  });
});

describe('what an event is (pure)', () => {
  it('a beat counts for the envelope’s account and the record’s region', () => {
    const e = beatEnvelope({ account: A, region: 'eu-west-1' });
    expect(e.detail.trigger.eventName).toBe(HEARTBEAT_EVENT_NAME);
    expect(classifyInput(e)).toEqual({ kind: 'beat', deployment: at(A, 'eu-west-1'), eventId: e.id });
  });

  it('a beat whose detail.account differs from the envelope’s account is a mismatch, never a beat', () => {
    const e = beatEnvelope({ account: A, claimedAccount: B });
    expect(classifyInput(e)).toEqual({ kind: 'mismatch', envelopeAccount: A, claimedAccount: B, region: REGION, eventId: e.id });
  });

  it('a beat with a bad region or no envelope account is malformed, with the reason', () => {
    const bad = beatEnvelope({ account: A });
    const badRegion = { ...bad, detail: { ...bad.detail, region: 'mars' } };
    expect(classifyInput(badRegion)).toMatchObject({
      kind: 'malformed',
      envelopeAccount: A,
      reason: 'detail.region must be an AWS region',
    });
    const { account: _dropped, ...noAccount } = bad;
    expect(classifyInput(noAccount)).toMatchObject({
      kind: 'malformed',
      envelopeAccount: null,
      reason: 'the envelope has no account',
    });
  });

  it('the schedule is a check; the monitor’s own records and anything else are not beats', () => {
    expect(classifyInput(scheduledEvent())).toMatchObject({ kind: 'check' });
    const own = beatEnvelope({ account: CENTRAL });
    const ownRecord = { ...own, detail: { ...own.detail, trigger: { ...own.detail.trigger, eventName: MONITOR_EVENT_NAME } } };
    expect(classifyInput(ownRecord)).toMatchObject({ kind: 'unrecognised' });
    expect(classifyInput({ source: 'aws.ec2', 'detail-type': 'x' })).toMatchObject({ kind: 'unrecognised' });
    expect(classifyInput('nonsense')).toEqual({ kind: 'unrecognised', reason: 'not an EventBridge event' });
  });
});

describe('the records (pure)', () => {
  it('a missing deployment: failed, heartbeat, resource <account>/<region>, reason naming the age and the runbook', () => {
    const r = missingRecord(origin, { ...at(B), lastSeen: minutesAgo(47), ageMinutes: 47 }, 15);
    expect(auditRecordSchema.parse(r)).toMatchObject({
      guardrail: 'heartbeat',
      outcome: 'failed',
      account: CENTRAL,
      resource: { type: 'logwarden::Deployment', id: `${B}/${REGION}` },
      trigger: { type: 'sweep', eventName: MONITOR_EVENT_NAME, eventId: 'check-1' },
      runbook: 'runbooks/heartbeat.md',
    });
    expect(r.reason).toBe(
      `deployment ${B}/${REGION} has sent no heartbeat for 47 minutes (last ${minutesAgo(47).toISOString()}), more than 30 minutes (two heartbeat periods): logwarden may be disabled or deleted there; see runbooks/heartbeat.md`,
    );
    const never = missingRecord(origin, { ...at(C), lastSeen: null, ageMinutes: null }, 15);
    expect(never.reason).toMatch(/^deployment 100000000003\/us-east-1 has never sent a heartbeat/);
  });

  it('an unknown expected set, a forged account and a malformed beat each have a record naming why', () => {
    expect(unknownExpectedSetRecord(origin, 'stackset', 'AccessDenied: no', 2)).toMatchObject({
      outcome: 'failed',
      resource: { id: 'expected-deployments/stackset' },
      reason: expect.stringContaining('the expected set of deployments is unknown: listing stackset failed (AccessDenied: no)'),
    });
    expect(mismatchRecord(origin, { envelopeAccount: A, claimedAccount: B, region: REGION })).toMatchObject({
      outcome: 'failed',
      resource: { id: `${A}/${REGION}` },
      reason: expect.stringContaining(`put by account ${A} claims to come from account ${B}`),
    });
    expect(malformedRecord(origin, null, 'the envelope has no account')).toMatchObject({ outcome: 'ignored' });
  });
});

describe('settings at start-up', () => {
  it('parses what the infrastructure writes', () => {
    expect(parseMonitorSettings(JSON.stringify(monitorSettingsFor()))).toEqual(monitorSettingsFor());
  });

  it('names the bad field', () => {
    const bad = (doc: unknown) => () => parseMonitorSettings(JSON.stringify(doc));
    expect(bad({ ...monitorSettingsFor(), expectedFrom: 'guess' })).toThrow(ConfigError);
    expect(bad({ ...monitorSettingsFor(), expectedFrom: 'guess' })).toThrow(`${MONITOR_SETTINGS_VARIABLE}.expectedFrom:`);
    expect(bad({ ...monitorSettingsFor(), regions: ['moon-1'] })).toThrow(`${MONITOR_SETTINGS_VARIABLE}.regions.0:`);
    expect(bad({ ...monitorSettingsFor(), extra: 1 })).toThrow(/\(extra\)/);
    expect(() => parseMonitorSettings(undefined)).toThrow(`${MONITOR_SETTINGS_VARIABLE}: is not set`);
    expect(() => parseMonitorSettings('{')).toThrow(/is not JSON/);
  });
});

describe('logwarden audit --summary and the monitor’s records', () => {
  it('counts a member’s beat as a heartbeat, and a missing-heartbeat record as a finding, never as a beat', () => {
    const beatRecord = beatEnvelope({ account: A, time: minutesAgo(90) }).detail;
    const missing = missingRecord(origin, { ...at(A), lastSeen: minutesAgo(90), ageMinutes: 90 }, 15);
    const s = summarize([beatRecord, missing], { now: NOW });
    expect(s.heartbeats.map((h) => [h.deployment, h.stopped])).toEqual([[`${A}/${REGION}`, true]]);
    expect(s.accountsWithFailures.flatMap((a) => a.stillFailing.map((f) => [a.account, f.resource, f.outcome]))).toEqual([
      [CENTRAL, `${A}/${REGION}`, 'failed'],
    ]);
  });
});
