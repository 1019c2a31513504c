/**
 * The event path canary's pure decisions (controllers/heartbeat/canary.ts): arrived / pending /
 * overdue, the state table's items as untrusted input (future times, garbage, another beat's
 * arrival), and the receiver's check of the CloudTrail event.
 */
import { describe, expect, it } from 'vitest';
import { apiCallEvent, type Identity } from '../../cli/events.js';
import { functionRoleName, ROLE_PATH } from '../../controllers/core/identity.js';
import { auditRecordSchema } from '../../controllers/core/record.js';
import {
  CANARY_LOG_GROUP,
  CANARY_TAG,
  canaryFailure,
  canaryLogGroupArn,
  canaryRecord,
  canaryStatus,
  heartbeatRoleArn,
  parseCanaryEvent,
  type RawItem,
  shouldWriteCanary,
} from '../../controllers/heartbeat/canary.js';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const PLACE = { account: ACCOUNT, region: REGION, partition: 'aws' };
const NOW = Date.parse('2026-11-30T12:00:00Z');
const MIN = 60_000;
const BOUND = 15 * MIN;
const BEAT = '0b5c1f7e-2a6d-4c1b-9e35-8d1f0c2a7b44';

const written = (beat: string, atMs: number | string): RawItem => ({ beat: { S: beat }, writtenAtMs: { N: String(atMs) } });
const arrived = (beat: string, atMs: number): RawItem => ({ beat: { S: beat }, arrivedAtMs: { N: String(atMs) } });
const status = (w: RawItem, a: RawItem = undefined) => canaryStatus({ written: w, arrival: a, nowMs: NOW, boundMs: BOUND });

describe('the canary decision: arrived, pending, overdue', () => {
  it('no canary written yet: nothing to judge, and a canary is written', () => {
    expect(status(undefined)).toEqual({ kind: 'none' });
    expect(shouldWriteCanary({ kind: 'none' })).toBe(true);
  });

  it('its event arrived: arrived with the latency, a new canary is written', () => {
    const s = status(written(BEAT, NOW - 10 * MIN), arrived(BEAT, NOW - 10 * MIN + 40_000));
    expect(s).toMatchObject({ kind: 'arrived', latencyMs: 40_000 });
    expect(shouldWriteCanary(s)).toBe(true);
    expect(canaryFailure(s, REGION, BOUND)).toBeNull();
  });

  it('no arrival within the bound: pending, and the canary is not overwritten while it is awaited', () => {
    const s = status(written(BEAT, NOW - 14 * MIN));
    expect(s).toMatchObject({ kind: 'pending', ageMs: 14 * MIN });
    expect(shouldWriteCanary(s)).toBe(false);
    expect(canaryFailure(s, REGION, BOUND)).toBeNull();
    // Exactly at the bound it is still pending; one millisecond later it is overdue.
    expect(status(written(BEAT, NOW - BOUND)).kind).toBe('pending');
    expect(status(written(BEAT, NOW - BOUND - 1)).kind).toBe('overdue');
  });

  it('no arrival past the bound: overdue, failing with the region, the canary and the likely cause', () => {
    const s = status(written(BEAT, NOW - 16 * MIN));
    expect(s).toMatchObject({ kind: 'overdue', ageMs: 16 * MIN });
    expect(shouldWriteCanary(s)).toBe(true);
    const reason = canaryFailure(s, REGION, BOUND);
    expect(reason).toContain(`EventBridge is not receiving CloudTrail events in ${REGION} (no logging trail?)`);
    expect(reason).toContain(`${CANARY_TAG}=${BEAT} on log group ${CANARY_LOG_GROUP}`);
    expect(reason).toContain('controller.canaryWithinMinutes');
  });
});

describe('the state items are untrusted', () => {
  it.each([
    ['a write time in the future', written(BEAT, NOW + 10 * MIN), 'is in the future'],
    ['a write time past any date', written(BEAT, '1e300'), 'is not a number'],
    ['a non-numeric write time', written(BEAT, 'soon'), 'is not a number'],
    ['a negative write time', written(BEAT, -5), 'is not a number'],
    ['a malformed beat id', written('x'.repeat(65), NOW - MIN), 'beat id'],
    ['a beat id with a pattern character', written('a*b', NOW - MIN), 'beat id'],
    ['no beat id at all', { writtenAtMs: { N: String(NOW - MIN) } }, 'beat id'],
    ['a string where the number belongs', { beat: { S: BEAT }, writtenAtMs: { S: String(NOW - MIN) } }, 'is not a number'],
  ])('%s: untrusted, which fails closed and writes a fresh canary', (_label, item, why) => {
    const s = status(item as RawItem);
    expect(s.kind).toBe('untrusted');
    expect(s.kind === 'untrusted' && s.reason).toContain(why);
    expect(canaryFailure(s, REGION, BOUND)).toContain('cannot be checked');
    expect(shouldWriteCanary(s)).toBe(true);
  });

  it('a small clock skew is tolerated: a write time up to a minute ahead is not forged', () => {
    expect(status(written(BEAT, NOW + 30_000)).kind).toBe('pending');
  });

  it.each([
    ["another beat's arrival", arrived('another-beat', NOW - 5 * MIN)],
    ['an arrival before the write (beyond the clock skew)', arrived(BEAT, NOW - 40 * MIN)],
    ['an arrival in the future', arrived(BEAT, NOW + 10 * MIN)],
    ['an arrival without a time', { beat: { S: BEAT } }],
    ['an arrival whose time is garbage', { beat: { S: BEAT }, arrivedAtMs: { N: 'NaN' } }],
  ])('%s does not count: the canary stays overdue', (_label, arrival) => {
    expect(status(written(BEAT, NOW - 30 * MIN), arrival as RawItem).kind).toBe('overdue');
  });
});

describe('the canary records', () => {
  it('the failed record names the region, the canary log group and the runbook, and fits the audit schema', () => {
    const reason = canaryFailure(status(written(BEAT, NOW - 20 * MIN)), REGION, BOUND) as string;
    const record = canaryRecord({ ...PLACE, outcome: 'failed', reason, eventId: 'e-1', now: new Date(NOW), observed: 'overdue' });
    expect(auditRecordSchema.parse(record)).toMatchObject({
      guardrail: 'heartbeat',
      outcome: 'failed',
      region: REGION,
      resource: { type: 'AWS::Logs::LogGroup', id: CANARY_LOG_GROUP, arn: canaryLogGroupArn(PLACE) },
      trigger: { eventName: 'HeartbeatCanary' },
      runbook: 'runbooks/heartbeat.md#the-event-path-canary',
    });
  });
});

describe("the receiver's check of the canary's CloudTrail event", () => {
  const heartbeat: Identity = {
    kind: 'assumed-role',
    account: ACCOUNT,
    roleName: functionRoleName('heartbeat', 'heartbeat', REGION),
    path: ROLE_PATH,
  };
  const own = { ...PLACE, roleArn: heartbeatRoleArn(PLACE) };
  const tagEvent = (identity: Identity, over: { resourceArn?: string; beat?: string; errorCode?: string } = {}) =>
    apiCallEvent({
      account: ACCOUNT,
      region: REGION,
      eventSource: 'logs.amazonaws.com',
      eventName: 'TagResource',
      requestParameters: { resourceArn: over.resourceArn ?? canaryLogGroupArn(PLACE), tags: { [CANARY_TAG]: over.beat ?? BEAT } },
      identity,
      errorCode: over.errorCode,
    });

  it("takes the heartbeat's own successful tag write of the canary, with its beat id", () => {
    expect(parseCanaryEvent(tagEvent(heartbeat), own)).toMatchObject({ ok: true, value: { beat: BEAT } });
  });

  it.each([
    ['an admin', tagEvent({ kind: 'assumed-role', account: ACCOUNT, roleName: 'Admin', path: '/' }), "heartbeat's own role"],
    ["a role named like the heartbeat's off its path", tagEvent({ ...heartbeat, path: '/' }), "heartbeat's own role"],
    ['an IAM user', tagEvent({ kind: 'user', account: ACCOUNT, userName: 'mallory' }), "heartbeat's own role"],
    ['a failed call', tagEvent(heartbeat, { errorCode: 'AccessDenied' }), 'the call failed'],
    ['another log group', tagEvent(heartbeat, { resourceArn: `${canaryLogGroupArn(PLACE)}-x` }), 'not a write of'],
    ['a tag value that is no beat id', tagEvent(heartbeat, { beat: 'x y' }), 'no beat id'],
    ['a scheduled event', { 'detail-type': 'Scheduled Event', source: 'aws.events' }, 'not a CloudWatch Logs TagResource'],
    ['garbage', 'not an event', 'not a CloudWatch Logs TagResource'],
  ])('refuses %s, naming the reason', (_label, event, why) => {
    const parsed = parseCanaryEvent(event, own);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.reason).toContain(why);
  });

  it('refuses the event of another account', () => {
    const event = { ...tagEvent(heartbeat), account: '999999999999' };
    expect(parseCanaryEvent(event, own)).toEqual({ ok: false, reason: 'from another account or region' });
  });
});
