import { randomUUID } from 'node:crypto';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { beforeAll, describe, expect, it } from 'vitest';
import { queueBehindRule, type RuleQueue } from '../../cli/audit-bus.js';
import { apiCallEvent, configComplianceEvent, type Identity } from '../../cli/events.js';
import { functionRoleName, ROLE_PATH } from '../../controllers/core/identity.js';
import { AUDIT_DETAIL_TYPE, AUDIT_SOURCE } from '../../controllers/core/record.js';
import { CANARY_RULE_NAME } from '../../controllers/heartbeat/canary.js';
import { guardrails as registry } from '../../controllers/registry.js';
import {
  alarmStatePattern,
  auditRecordPattern,
  cloudTrailPatterns,
  configCompliancePattern,
  EventPatternError,
  toCdkPattern,
} from '../../infra/patterns.js';
import { readTemplate, synthExample } from '../../infra/testing.js';
import { ACCOUNT, REGION, useEmulator } from '../helpers/emulator.js';

const emu = useEmulator();

/** Resolve the few intrinsics a rule pattern holds, as CloudFormation would in ACCOUNT/REGION. */
function resolve(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(resolve);
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if ('Ref' in o)
      return ({ 'AWS::Partition': 'aws', 'AWS::AccountId': ACCOUNT, 'AWS::Region': REGION } as Record<string, string>)[
        o.Ref as string
      ];
    if ('Fn::Join' in o) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map(resolve).join(sep);
    }
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, resolve(v)]));
  }
  return value;
}

interface Fixture {
  label: string;
  event: Record<string, unknown>;
  /** Names of the rules that must receive it. */
  expect: string[];
}

const OTHER_ACCOUNT = '999999999999';
const assumed = (roleName: string, path = ROLE_PATH, account = ACCOUNT): Identity => ({
  kind: 'assumed-role',
  account,
  roleName,
  path,
});
const admin = assumed('Admin', '/');
const user: Identity = { kind: 'user', account: ACCOUNT, userName: 'mallory' };
const root: Identity = { kind: 'root', account: ACCOUNT };

/**
 * The CloudTrail rules that must receive a call: one per event source of each guardrail reacting to it
 * (`logwarden-<g>-cloudtrail`, `-cloudtrail-2` for its second source…); `CreateVpc` has two receivers.
 */
function receivers(source: string, eventName: string): string[] {
  return registry.flatMap((g) =>
    g.cloudTrailEvents.flatMap((e, i) =>
      e.source === source && e.eventNames.includes(eventName)
        ? [`logwarden-${g.name}-cloudtrail${i === 0 ? '' : `-${i + 1}`}`]
        : [],
    ),
  );
}

function fixtures(): Fixture[] {
  const out: Fixture[] = [];
  for (const g of registry) {
    for (const { source, eventNames } of g.cloudTrailEvents) {
      const eventSource = `${source.replace(/^aws\./, '')}.amazonaws.com`;
      const call = (eventName: string, identity: Identity, errorCode?: string) =>
        apiCallEvent({ account: ACCOUNT, region: REGION, eventSource, eventName, requestParameters: {}, identity, errorCode });
      for (const name of eventNames)
        out.push({ label: `${g.name} ${name} by an IAM user`, event: call(name, user), expect: receivers(source, name) });
      const first = eventNames[0] as string;
      const rule = receivers(source, first);
      out.push({ label: `${g.name} ${first} by a role`, event: call(first, admin), expect: rule });
      out.push({ label: `${g.name} ${first} by root`, event: call(first, root), expect: rule });
      const own = functionRoleName('controller', g.name, REGION);
      // Look-alikes an account's admin can create: each is delivered, so the controller acts on it.
      const lookAlikes: [string, Identity][] = [
        ['named like logwarden off its path', assumed(own, '/')],
        ["on logwarden's path with another name", assumed('attacker')],
        ["named logwarden's role plus a suffix", assumed(`${own}-x`)],
        ["with logwarden's exact name in another account", assumed(own, ROLE_PATH, OTHER_ACCOUNT)],
      ];
      for (const [label, identity] of lookAlikes)
        out.push({ label: `${g.name} ${first} by a role ${label}`, event: call(first, identity), expect: rule });
      out.push({ label: `${g.name} ${first} by logwarden's own role`, event: call(first, assumed(own)), expect: [] });
      // Only this region's roles are left out by the rule; the controller's filter knows every governed region.
      const elsewhere = functionRoleName('controller', g.name, 'eu-west-1');
      out.push({
        label: `${g.name} ${first} by its role of another region`,
        event: call(first, assumed(elsewhere)),
        expect: rule,
      });
      out.push({ label: `${g.name} ${first} that failed`, event: call(first, user, 'AccessDenied'), expect: [] });
      out.push({ label: `${g.name} read-only call`, event: call('DescribeEverything', user), expect: [] });
    }
    const compliance = (rule: string, complianceType: string) =>
      configComplianceEvent({
        account: ACCOUNT,
        region: REGION,
        resourceType: g.resourceType,
        resourceId: 'r-1',
        configRuleName: rule,
        complianceType,
      });
    out.push({
      label: `${g.name} Config rule NON_COMPLIANT`,
      event: compliance(`logwarden-${g.name}`, 'NON_COMPLIANT'),
      expect: [`logwarden-${g.name}-compliance`],
    });
    out.push({ label: `${g.name} Config rule COMPLIANT`, event: compliance(`logwarden-${g.name}`, 'COMPLIANT'), expect: [] });
    out.push({ label: `someone else's Config rule`, event: compliance(`not-logwarden-${g.name}`, 'NON_COMPLIANT'), expect: [] });
  }
  return out;
}

describe('synthesized EventBridge patterns on the emulator', () => {
  let rules: { name: string; pattern: Record<string, unknown> }[];
  beforeAll(async () => {
    const built = await synthExample({ nag: false });
    const json = readTemplate(built.templateFile);
    rules = Object.values(json.Resources)
      .filter((r) => r.Type === 'AWS::Events::Rule' && r.Properties?.EventPattern)
      .map((r) => ({
        name: r.Properties?.Name as string,
        pattern: resolve(r.Properties?.EventPattern) as Record<string, unknown>,
      }))
      // The heartbeat's canary rule has its own test (test/integration/heartbeat-canary.test.ts).
      .filter((r) => r.name !== 'logwarden-alarms-to-central' && r.name !== CANARY_RULE_NAME);
  }, 240_000);

  it('every pattern receives exactly the fixture events meant for it (own role, failed calls and other rules excluded)', async () => {
    const clients = emu.clients();
    const events = clients.get(EventBridgeClient, REGION);
    const queues = new Map<string, RuleQueue>();
    // One CloudTrail rule per event source of each guardrail and one compliance rule per guardrail.
    expect(rules.length).toBe(registry.reduce((n, g) => n + g.cloudTrailEvents.length + 1, 0));
    for (const r of rules) queues.set(r.name, await queueBehindRule(clients, REGION, r));
    const all = fixtures();
    const ids = new Map<string, Fixture>();
    for (const f of all) {
      const marker = randomUUID();
      ids.set(marker, f);
      const detail = { ...(f.event.detail as Record<string, unknown>), fixtureMarker: marker };
      const out = await events.send(
        new PutEventsCommand({
          Entries: [
            { Source: f.event.source as string, DetailType: f.event['detail-type'] as string, Detail: JSON.stringify(detail) },
          ],
        }),
      );
      expect(out.FailedEntryCount ?? 0).toBe(0);
    }
    const received = new Map<string, string[]>();
    for (const [rule, queue] of queues) {
      for (const event of await queue.drain()) {
        const marker = (event as { detail: { fixtureMarker: string } }).detail.fixtureMarker;
        received.set(marker, [...(received.get(marker) ?? []), rule]);
      }
    }
    const mismatches: string[] = [];
    for (const [marker, f] of ids) {
      const got = (received.get(marker) ?? []).sort();
      if (JSON.stringify(got) !== JSON.stringify([...f.expect].sort()))
        mismatches.push(`${f.label}: expected ${f.expect} got ${got}`);
    }
    expect(mismatches).toEqual([]);
    expect(all.filter((f) => f.expect.length === 0).length).toBeGreaterThan(registry.length * 3);
  });
});

describe('pattern builders (unit)', () => {
  it('name exactly each guardrail’s sources and event names, and keep the own-role and failure exclusions', () => {
    for (const g of registry) {
      const own = ['arn:aws:iam::123456789012:role/logwarden/a', 'arn:aws:iam::123456789012:role/logwarden/b'];
      const patterns = cloudTrailPatterns(g, own);
      expect(patterns.map((p) => p.source)).toEqual(g.cloudTrailEvents.map((e) => [e.source]));
      patterns.forEach((p, i) => {
        const detail = p.detail as Record<string, unknown>;
        expect(detail.eventName).toEqual(g.cloudTrailEvents[i]?.eventNames);
        expect(detail.errorCode).toEqual([{ exists: false }]);
        // Exact ARNs, never a prefix: a look-alike on the same path must still be delivered.
        expect(detail.$or).toEqual([
          { userIdentity: { sessionContext: { sessionIssuer: { arn: [{ 'anything-but': own }] } } } },
          { userIdentity: { sessionContext: { sessionIssuer: { arn: [{ exists: false }] } } } },
        ]);
        // PutRule takes an EventPattern of at most 4096 characters.
        expect(JSON.stringify(p).length).toBeLessThan(4096);
      });
    }
    expect(configCompliancePattern('logwarden-x')).toMatchObject({ detail: { configRuleName: ['logwarden-x'] } });
  });

  it('render for CDK with exactly their keys (detail-type spelled detailType), and refuse a key the rendering would drop', () => {
    expect(toCdkPattern(auditRecordPattern())).toEqual({ source: [AUDIT_SOURCE], detailType: [AUDIT_DETAIL_TYPE] });
    const alarm = alarmStatePattern();
    expect(toCdkPattern(alarm)).toEqual({ source: alarm.source, detailType: alarm['detail-type'], detail: alarm.detail });
    expect(() => toCdkPattern({ ...alarm, account: ['123456789012'] })).toThrow(EventPatternError);
  });
});
