/**
 * The event path canary (#13 item 5) on the emulator: the heartbeat really tags the canary log group
 * and keeps its state in the state table; both outcomes are driven beat by beat and read back from
 * the log group's tags, the state table and the audit bus.
 *
 * moto's EventBridge does not turn API calls into CloudTrail events, so the test builds the realistic
 * CloudTrail event of the heartbeat's tag write (the beat id read back from the real tag) and hands it
 * to the receiver itself, as the canary rule would. That the rule's pattern takes exactly this event
 * (and not the same write by another principal) is checked on the emulator's EventBridge.
 */
import { randomUUID } from 'node:crypto';
import { CloudWatchLogsClient, CreateLogGroupCommand, ListTagsForResourceCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { beforeEach, describe, expect, it } from 'vitest';
import { queueBehindRule } from '../../cli/audit-bus.js';
import { apiCallEvent, type Identity, sweepEvent } from '../../cli/events.js';
import { EventBridgeAuditPublisher } from '../../controllers/core/audit.js';
import type { AwsClients } from '../../controllers/core/aws.js';
import { functionRoleName, ROLE_PATH } from '../../controllers/core/identity.js';
import { parsePolicy } from '../../controllers/core/policy.js';
import type { AuditRecord } from '../../controllers/core/record.js';
import { CANARY_LOG_GROUP, CANARY_TAG, canaryLogGroupArn, heartbeatRoleArn } from '../../controllers/heartbeat/canary.js';
import { type CanaryStore, DynamoCanaryStore, receiveCanary } from '../../controllers/heartbeat/canary-run.js';
import { beat } from '../../controllers/heartbeat/index.js';
import { guardrails as registry } from '../../controllers/registry.js';
import { canaryPattern } from '../../infra/patterns.js';
import {
  ACCOUNT,
  AUDIT_BUS,
  type AuditReader,
  createAuditBus,
  createStateTable,
  quietLogger,
  REGION,
  STATE_TABLE,
  useEmulator,
} from '../helpers/emulator.js';
import { policyWith } from '../helpers/policy.js';

const emu = useEmulator();
const PLACE = { account: ACCOUNT, region: REGION, partition: 'aws' };
const MIN = 60_000;
const T0 = new Date(Date.now() - 60 * MIN);
const at = (ms: number) => new Date(T0.getTime() + ms);

const heartbeatIdentity: Identity = {
  kind: 'assumed-role',
  account: ACCOUNT,
  roleName: functionRoleName('heartbeat', 'heartbeat', REGION),
  path: ROLE_PATH,
};
const adminIdentity: Identity = { kind: 'assumed-role', account: ACCOUNT, roleName: 'Admin', path: '/' };

/** The CloudTrail event CloudWatch Logs records for a TagResource call on the canary log group. */
function tagEvent(identity: Identity, beatId: string): Record<string, unknown> {
  return apiCallEvent({
    account: ACCOUNT,
    region: REGION,
    eventSource: 'logs.amazonaws.com',
    eventName: 'TagResource',
    requestParameters: { resourceArn: canaryLogGroupArn(PLACE), tags: { [CANARY_TAG]: beatId } },
    identity,
  });
}

let clients: AwsClients;
let audit: AuditReader;
let store: CanaryStore;

beforeEach(async () => {
  clients = emu.clients();
  await createStateTable(clients);
  // As the member stack creates it.
  await clients.get(CloudWatchLogsClient, REGION).send(new CreateLogGroupCommand({ logGroupName: CANARY_LOG_GROUP }));
  audit = await createAuditBus(clients);
  store = new DynamoCanaryStore(clients, REGION, STATE_TABLE);
});

/** One beat at `now`, with the canary, publishing to the emulator's audit bus; the records it published. */
async function beatAt(now: Date): Promise<AuditRecord[]> {
  const policy = parsePolicy(policyWith({}), registry);
  const sink = new EventBridgeAuditPublisher({ clients, eventBus: AUDIT_BUS, region: REGION, logger: quietLogger() });
  const boundMs = policy.controller.canaryWithinMinutes * MIN;
  await beat(sweepEvent({ account: ACCOUNT, region: REGION }), {
    policy,
    account: ACCOUNT,
    region: REGION,
    sink,
    now: () => now,
    canary: { store, clients, boundMs },
  });
  return audit.drain();
}

/** The canary tag's value on the real log group: the beat id the heartbeat last wrote. */
async function canaryTag(): Promise<string | undefined> {
  const out = await clients
    .get(CloudWatchLogsClient, REGION)
    .send(new ListTagsForResourceCommand({ resourceArn: canaryLogGroupArn(PLACE) }));
  return out.tags?.[CANARY_TAG];
}

async function stateItem(pk: string) {
  const out = await clients
    .get(DynamoDBClient, REGION)
    .send(new GetItemCommand({ TableName: STATE_TABLE, Key: { pk: { S: pk } } }));
  return out.Item;
}

const receive = (event: unknown, now: Date) =>
  receiveCanary(event, { store, place: PLACE, roleArn: heartbeatRoleArn(PLACE), now });

describe('the event path canary, beat by beat', () => {
  it('(a) the event arrives: the receiver records it and the next beat, past the bound, is fine', async () => {
    const [first, ...others] = await beatAt(T0);
    expect(others).toEqual([]);
    const beatId = await canaryTag();
    expect(beatId).toMatch(/^[0-9a-f-]{36}$/);
    expect(first).toMatchObject({ guardrail: 'heartbeat', outcome: 'compliant' });
    expect(first?.reason).toContain(`event path: no earlier canary to check; canary ${beatId} written`);
    expect((await stateItem('canary#written'))?.beat?.S).toBe(beatId);

    // EventBridge would deliver the CloudTrail event of that very write (see the file comment).
    const out = await receive(tagEvent(heartbeatIdentity, beatId as string), at(40_000));
    expect(out).toEqual({ arrived: beatId });
    expect((await stateItem(`canary#arrived#${beatId}`))?.arrivedAtMs?.N).toBe(String(at(40_000).getTime()));

    const next = await beatAt(at(20 * MIN));
    expect(next.map((r) => [r.guardrail, r.outcome])).toEqual([['heartbeat', 'compliant']]);
    expect(next[0]?.reason).toContain(`canary ${beatId} came back through EventBridge after 40 s`);
    // The next canary is out.
    const second = await canaryTag();
    expect(second).not.toBe(beatId);
    expect(next[0]?.reason).toContain(`canary ${second} written`);
  });

  it('(b) no event within the bound: the beat waits while pending, then publishes a failed record', async () => {
    await beatAt(T0);
    const beatId = (await canaryTag()) as string;
    // A member admin makes the same tag write: its event is not the canary's (and the rule would not deliver it).
    const faked = await receive(tagEvent(adminIdentity, beatId), at(MIN));
    expect('ignored' in faked && faked.ignored).toMatchObject({
      outcome: 'ignored',
      reason: "not the event path canary's CloudTrail event: not written by the heartbeat's own role",
    });
    expect(await stateItem(`canary#arrived#${beatId}`)).toBeUndefined();

    const pending = await beatAt(at(10 * MIN));
    expect(pending.map((r) => r.outcome)).toEqual(['compliant']);
    expect(pending[0]?.reason).toContain(`canary ${beatId} written 600 s ago, waiting for its CloudTrail event`);
    // Awaited, not overwritten.
    expect(await canaryTag()).toBe(beatId);

    const overdue = await beatAt(at(16 * MIN));
    const failed = overdue.find((r) => r.outcome === 'failed');
    expect(overdue.map((r) => r.outcome)).toEqual(['compliant', 'failed']);
    expect(failed).toMatchObject({
      guardrail: 'heartbeat',
      account: ACCOUNT,
      region: REGION,
      resource: { type: 'AWS::Logs::LogGroup', id: CANARY_LOG_GROUP, arn: canaryLogGroupArn(PLACE) },
      trigger: { eventName: 'HeartbeatCanary' },
      runbook: 'runbooks/heartbeat.md#the-event-path-canary',
    });
    expect(failed?.reason).toContain(`EventBridge is not receiving CloudTrail events in ${REGION} (no logging trail?)`);
    expect(failed?.reason).toContain(`${CANARY_TAG}=${beatId} on log group ${CANARY_LOG_GROUP}) has not arrived 960 s after`);
    // A fresh canary, so that the next beat sees the path come back.
    expect(await canaryTag()).not.toBe(beatId);
  });

  it('a forged state item (a write time in the future) fails closed and is replaced by a fresh canary', async () => {
    await store.recordWritten({ beat: 'forged', writtenAtMs: at(24 * 60 * MIN).getTime() });
    const records = await beatAt(T0);
    expect(records.map((r) => r.outcome)).toEqual(['compliant', 'failed']);
    expect(records[1]?.reason).toContain('is not one logwarden wrote: its write time');
    expect((await stateItem('canary#written'))?.beat?.S).toBe(await canaryTag());
  });

  it('a state table that cannot be written fails the canary, and the heartbeat record is still published', async () => {
    const real = store;
    const broken: CanaryStore = {
      written: () => real.written(),
      arrival: (b) => real.arrival(b),
      recordWritten: async () => {
        throw Object.assign(new Error('denied'), { name: 'AccessDeniedException' });
      },
      recordArrival: () => Promise.resolve(),
    };
    store = broken;
    const records = await beatAt(T0);
    expect(records.map((r) => r.outcome)).toEqual(['compliant', 'failed']);
    expect(records[1]?.reason).toContain('the event path canary could not be written (AccessDeniedException)');
  });
});

describe("the canary rule's pattern on the emulator's EventBridge", () => {
  it("delivers the heartbeat's own tag write of the canary and nothing else", async () => {
    const queue = await queueBehindRule(clients, REGION, { name: 'canary-pattern', pattern: canaryPattern(PLACE) });
    const beatId = randomUUID();
    const lookAlike: Identity = { ...heartbeatIdentity, path: '/' };
    const otherAccount: Identity = { ...heartbeatIdentity, account: '999999999999' };
    const fixtures: [string, Record<string, unknown>, boolean][] = [
      ["the heartbeat's write", tagEvent(heartbeatIdentity, beatId), true],
      ["an admin's identical write", tagEvent(adminIdentity, beatId), false],
      ["a role named like the heartbeat's off its path", tagEvent(lookAlike, beatId), false],
      ["the heartbeat's role name in another account", tagEvent(otherAccount, beatId), false],
      [
        "the heartbeat's failed write",
        {
          ...tagEvent(heartbeatIdentity, beatId),
          detail: { ...(tagEvent(heartbeatIdentity, beatId).detail as object), errorCode: 'x' },
        },
        false,
      ],
      [
        "the heartbeat's write of another log group",
        apiCallEvent({
          account: ACCOUNT,
          region: REGION,
          eventSource: 'logs.amazonaws.com',
          eventName: 'TagResource',
          requestParameters: { resourceArn: `${canaryLogGroupArn(PLACE)}-2`, tags: { [CANARY_TAG]: beatId } },
          identity: heartbeatIdentity,
        }),
        false,
      ],
    ];
    const events = clients.get(EventBridgeClient, REGION);
    for (const [label, event] of fixtures) {
      const detail = { ...(event.detail as Record<string, unknown>), fixture: label };
      const put = await events.send(
        new PutEventsCommand({
          Entries: [
            { Source: event.source as string, DetailType: event['detail-type'] as string, Detail: JSON.stringify(detail) },
          ],
        }),
      );
      expect(put.FailedEntryCount ?? 0).toBe(0);
    }
    const delivered = (await queue.drain()).map((e) => (e.detail as { fixture: string }).fixture);
    expect(delivered).toEqual(fixtures.filter(([, , wanted]) => wanted).map(([label]) => label));
  });
});
