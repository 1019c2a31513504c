import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudWatchLogsClient, CreateLogGroupCommand, ListTagsForResourceCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DisableRuleCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { App, aws_logs as logs, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { apiCallEvent, sweepEvent } from '../../cli/events.js';
import { EventBridgeAuditPublisher } from '../../controllers/core/audit.js';
import { functionRoleName, ROLE_PATH } from '../../controllers/core/identity.js';
import { parsePolicy } from '../../controllers/core/policy.js';
import { auditRecordSchema } from '../../controllers/core/record.js';
import {
  CANARY_LOG_GROUP,
  CANARY_TAG,
  canaryFailure,
  canaryLogGroupArn,
  canaryRecord,
  canaryStatus,
} from '../../controllers/heartbeat/canary.js';
import { beat, DEPLOYMENT_RESOURCE_TYPE, heartbeatRecord } from '../../controllers/heartbeat/index.js';
import { DEMO_MANIFEST, demo as integrityDemo } from '../../controllers/integrity/demo.js';
import { MANIFEST_FILE } from '../../controllers/integrity/manifest.js';
import { handleOriginEvent } from '../../controllers/origin-check/index.js';
import { guardrails as registry } from '../../controllers/registry.js';
import { AuditMetrics } from '../../infra/audit-alarms.js';
import { bundle } from '../../infra/bundle.js';
import { invokeBundle } from '../helpers/bundled-handler.js';
import {
  ACCOUNT,
  AUDIT_BUS,
  createAuditBus,
  createStateTable,
  quietLogger,
  REGION,
  STATE_TABLE,
  useEmulator,
} from '../helpers/emulator.js';
import { matchesFilter } from '../helpers/metric-filter.js';
import { policyWith } from '../helpers/policy.js';
import { envelopeOf } from '../helpers/records.js';

const emu = useEmulator();

describe('heartbeat', () => {
  it('builds one compliant sweep record for the deployment, naming the enabled guardrails and their modes', () => {
    const policy = parsePolicy(policyWith({ cloudtrail: { mode: 'notify', trails: [] } }), [], 'p', { onlyThese: false });
    const record = heartbeatRecord({
      account: ACCOUNT,
      region: REGION,
      policy,
      eventId: 'e-1',
      now: new Date('2025-01-01T00:00:00Z'),
    });
    expect(auditRecordSchema.parse(record)).toMatchObject({
      guardrail: 'heartbeat',
      outcome: 'compliant',
      trigger: { type: 'sweep', eventId: 'e-1' },
      resource: { type: DEPLOYMENT_RESOURCE_TYPE, id: `${ACCOUNT}/${REGION}`, arn: null },
      reason: `logwarden is running in ${ACCOUNT}/${REGION}: cloudtrail (notify)`,
    });
  });

  it('publishes the record to the audit bus through the EventBridge publisher (read back from the bus)', async () => {
    const audit = await createAuditBus(emu.clients());
    const policy = parsePolicy(policyWith({}), registry);
    const sink = new EventBridgeAuditPublisher({
      clients: emu.clients(),
      eventBus: AUDIT_BUS,
      region: REGION,
      logger: quietLogger(),
    });
    const sent = await beat(sweepEvent({ account: ACCOUNT, region: REGION }), { policy, account: ACCOUNT, region: REGION, sink });
    const onBus = await audit.drain();
    // As sent, with what the publisher adds: no signing key in this policy, so it says it is unsigned.
    expect(onBus).toEqual([
      { ...sent, integrity: { status: 'unsigned', reason: 'no signing key configured (policy audit.signingKey)' } },
    ]);
  });

  it('the esbuild bundle runs as the Lambda would: policy.json and deployment.json next to the code, one heartbeat on the bus', async () => {
    const audit = await createAuditBus(emu.clients());
    await integrityDemo.prepare({ account: ACCOUNT, region: REGION, clients: emu.clients() });
    const b = bundle({ kind: 'heartbeat' }, JSON.stringify(policyWith({})));
    // What the infrastructure bundles next to the heartbeat's code (infra/manifest.ts, another branch).
    writeFileSync(join(b.dir, MANIFEST_FILE), JSON.stringify(DEMO_MANIFEST));
    const out = await invokeBundle<{ id: string }>(b.dir, emu.endpoint, sweepEvent({ account: ACCOUNT, region: REGION }));
    const onBus = await audit.drain();
    expect(onBus.map((r) => [r.id, r.guardrail, r.resource.id, r.outcome])).toEqual([
      [out.id, 'heartbeat', `${ACCOUNT}/${REGION}`, 'compliant'],
    ]);

    // The same bundle, the cold start passed (the manifest read once): a disabled rule fails the beat.
    const rule = DEMO_MANIFEST.rules[0]?.name ?? '';
    await emu
      .clients()
      .get(EventBridgeClient, REGION)
      .send(new DisableRuleCommand({ Name: rule }));
    await invokeBundle(b.dir, emu.endpoint, sweepEvent({ account: ACCOUNT, region: REGION }));
    const [failed] = await audit.drain();
    expect(failed?.outcome).toBe('failed');
    expect(failed?.reason).toContain(`AWS::Events::Rule ${rule}: rule.state`);
  });
});

describe('the event path canary through the bundled heartbeat and the central alarm (#13 item 5)', () => {
  it('the bundle beats with the canary and records the arrival of the CloudTrail event the canary rule hands it', async () => {
    const clients = emu.clients();
    const audit = await createAuditBus(clients);
    await integrityDemo.prepare({ account: ACCOUNT, region: REGION, clients });
    await createStateTable(clients);
    await clients.get(CloudWatchLogsClient, REGION).send(new CreateLogGroupCommand({ logGroupName: CANARY_LOG_GROUP }));
    // Another bound than the other bundle test's policy: another bundle, so a cold start with the state table set.
    const b = bundle({ kind: 'heartbeat' }, JSON.stringify(policyWith({}, { canaryWithinMinutes: 20 })));
    writeFileSync(join(b.dir, MANIFEST_FILE), JSON.stringify(DEMO_MANIFEST));
    process.env.LOGWARDEN_STATE_TABLE = STATE_TABLE;
    try {
      await invokeBundle(b.dir, emu.endpoint, sweepEvent({ account: ACCOUNT, region: REGION }));
      const place = { account: ACCOUNT, region: REGION, partition: 'aws' };
      const tags = await clients
        .get(CloudWatchLogsClient, REGION)
        .send(new ListTagsForResourceCommand({ resourceArn: canaryLogGroupArn(place) }));
      const beatId = tags.tags?.[CANARY_TAG] as string;
      const [record] = await audit.drain();
      expect(record?.reason).toContain(`canary ${beatId} written`);
      // moto's EventBridge makes no CloudTrail events: this is the event the canary rule would deliver.
      const event = apiCallEvent({
        account: ACCOUNT,
        region: REGION,
        eventSource: 'logs.amazonaws.com',
        eventName: 'TagResource',
        requestParameters: { resourceArn: canaryLogGroupArn(place), tags: { [CANARY_TAG]: beatId } },
        identity: {
          kind: 'assumed-role',
          account: ACCOUNT,
          roleName: functionRoleName('heartbeat', 'heartbeat', REGION),
          path: ROLE_PATH,
        },
      });
      expect(await invokeBundle(b.dir, emu.endpoint, event)).toEqual({ arrived: beatId });
      const item = await clients
        .get(DynamoDBClient, REGION)
        .send(new GetItemCommand({ TableName: STATE_TABLE, Key: { pk: { S: `canary#arrived#${beatId}` } } }));
      expect(item.Item?.beat?.S).toBe(beatId);
      expect(await audit.drain()).toEqual([]);
    } finally {
      delete process.env.LOGWARDEN_STATE_TABLE;
    }
  });

  it("the canary's failed record counts in the central failures metric, which the failures alarm watches", () => {
    const stack = new Stack(new App(), 'Central');
    new AuditMetrics(stack, 'Metrics', { verdicts: new logs.LogGroup(stack, 'Verdicts') });
    const filters = Object.values(Template.fromStack(stack).findResources('AWS::Logs::MetricFilter'));
    // The total (no dimension) is what the failures alarm reads.
    const failures = filters.find((f) => {
      const t = (f.Properties.MetricTransformations as { MetricName: string; Dimensions?: unknown[] }[])[0];
      return t?.MetricName === 'Failures' && !t.Dimensions;
    });
    const pattern = failures?.Properties.FilterPattern as string;
    const now = Date.parse('2026-11-30T12:00:00Z');
    const status = canaryStatus({
      written: { beat: { S: 'b-1' }, writtenAtMs: { N: String(now - 30 * 60_000) } },
      arrival: undefined,
      nowMs: now,
      boundMs: 15 * 60_000,
    });
    const place = { account: ACCOUNT, region: REGION, partition: 'aws' };
    const reason = canaryFailure(status, REGION, 15 * 60_000) as string;
    const record = canaryRecord({ ...place, outcome: 'failed', reason, eventId: null, now: new Date(now) });
    // As the central metric filters read it: the origin check's verdict line for the record's envelope.
    const verdictLine = (r: typeof record) => {
      let line = '';
      handleOriginEvent(envelopeOf(r), (l) => {
        line = l;
      });
      return line;
    };
    expect(matchesFilter(pattern, verdictLine(record))).toBe(true);
    expect(matchesFilter(pattern, verdictLine({ ...record, outcome: 'compliant' }))).toBe(false);
  });
});
