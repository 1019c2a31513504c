import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DisableRuleCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { describe, expect, it } from 'vitest';
import { sweepEvent } from '../../cli/events.js';
import { EventBridgeAuditPublisher } from '../../controllers/core/audit.js';
import { parsePolicy } from '../../controllers/core/policy.js';
import { auditRecordSchema } from '../../controllers/core/record.js';
import { beat, DEPLOYMENT_RESOURCE_TYPE, heartbeatRecord } from '../../controllers/heartbeat/index.js';
import { DEMO_MANIFEST, demo as integrityDemo } from '../../controllers/integrity/demo.js';
import { MANIFEST_FILE } from '../../controllers/integrity/manifest.js';
import { guardrails as registry } from '../../controllers/registry.js';
import { bundle } from '../../infra/bundle.js';
import { invokeBundle } from '../helpers/bundled-handler.js';
import { ACCOUNT, AUDIT_BUS, createAuditBus, quietLogger, REGION, useEmulator } from '../helpers/emulator.js';
import { policyWith } from '../helpers/policy.js';

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
