import { AddTagsCommand, CloudTrailClient, StopLoggingCommand } from '@aws-sdk/client-cloudtrail';
import { ConfigServiceClient, PutEvaluationsCommand } from '@aws-sdk/client-config-service';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, describe, expect, it } from 'vitest';
import { sweepEvent } from '../../cli/events.js';
import { cloudtrail } from '../../controllers/cloudtrail/index.js';
import { handleConfigRuleEvent } from '../../controllers/core/config-rule.js';
import { parsePolicy } from '../../controllers/core/policy.js';
import { evaluatorGrants } from '../../infra/permissions.js';
import { createTrailBucket, TRAIL, trailPolicy } from '../helpers/cloudtrail.js';
import { ACCOUNT, quietLogger, REGION, useEmulator } from '../helpers/emulator.js';
import { harness } from '../helpers/harness.js';
import { exemptionOf, policyWith } from '../helpers/policy.js';

// The guardrail's real detection code runs against the emulator; only PutEvaluations is mocked
// (emulator gap: moto's PutEvaluations needs TestMode and it has no compliance reads to check with).
const emu = useEmulator();
const config = mockClient(ConfigServiceClient);
afterAll(() => config.restore());

const periodic = {
  invokingEvent: JSON.stringify({ messageType: 'ScheduledNotification', notificationCreationTime: new Date().toISOString() }),
  resultToken: 'token-ct',
};

describe('Config rule evaluator with the CloudTrail guardrail on the emulator', () => {
  it('reports the same verdicts as the controller, calls only the evaluator role’s read actions, never writes', async () => {
    config.reset();
    config.on(PutEvaluationsCommand).resolves({ FailedEvaluations: [] });
    await createTrailBucket(emu.clients());
    const h = await harness(emu, [cloudtrail], { cloudtrail: trailPolicy() });
    const [made] = await h.deliver(sweepEvent({ account: ACCOUNT, region: REGION, guardrail: 'cloudtrail' }));
    expect(made?.outcome).toBe('remediated');

    const calls: string[] = [];
    const o = {
      guardrail: cloudtrail,
      policy: parsePolicy(policyWith({ cloudtrail: trailPolicy() }), [cloudtrail]),
      account: ACCOUNT,
      region: REGION,
      clients: emu.clients(({ action }) => calls.push(action)),
      logger: quietLogger(),
    };
    const ct = emu.clients().get(CloudTrailClient, REGION);

    expect((await handleConfigRuleEvent(periodic, o)).map((e) => [e.ComplianceResourceId, e.ComplianceType])).toEqual([
      [TRAIL, 'COMPLIANT'],
    ]);
    await ct.send(new StopLoggingCommand({ Name: TRAIL }));
    const [off] = await handleConfigRuleEvent(periodic, o);
    expect(off).toMatchObject({ ComplianceResourceType: 'AWS::CloudTrail::Trail', ComplianceType: 'NON_COMPLIANT' });
    expect(off?.Annotation).toContain('isLogging');
    const trailArn = `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/${TRAIL}`;
    await ct.send(new AddTagsCommand({ ResourceId: trailArn, TagsList: [{ Key: 'logwarden:exempt', Value: 'INC-9 window' }] }));
    const [tagged] = await handleConfigRuleEvent(periodic, o);
    expect(tagged).toMatchObject({ ComplianceType: 'NON_COMPLIANT' });
    const exemptions = [exemptionOf('cloudtrail', trailArn)];
    const exempting = { ...o, policy: parsePolicy({ ...policyWith({ cloudtrail: trailPolicy() }), exemptions }, [cloudtrail]) };
    const [exempt] = await handleConfigRuleEvent(periodic, exempting);
    expect(exempt).toMatchObject({ ComplianceType: 'NOT_APPLICABLE' });
    expect(exempt?.Annotation).toMatch(/^exempt: migration window \(ticket CHG-42; until /);

    expect(config.commandCalls(PutEvaluationsCommand).map((c) => c.args[0].input.ResultToken)).toEqual([
      'token-ct',
      'token-ct',
      'token-ct',
      'token-ct',
    ]);
    const allowed = evaluatorGrants(cloudtrail).flatMap((g) => g.actions);
    expect(calls.length).toBeGreaterThan(3);
    for (const call of calls) expect(allowed).toContain(call);
  });
});
