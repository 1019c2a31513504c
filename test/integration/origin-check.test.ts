import { CloudWatchLogsClient, CreateLogGroupCommand, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateEventBusCommand, EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { describe, expect, it } from 'vitest';
import { EventBridgeAuditPublisher } from '../../controllers/core/audit.js';
import { handleOriginEvent } from '../../controllers/origin-check/index.js';
import { auditRecordPattern } from '../../infra/patterns.js';
import { ACCOUNT, AUDIT_BUS, quietLogger, REGION, useEmulator } from '../helpers/emulator.js';
import { record } from '../helpers/records.js';

const emu = useEmulator();
const LOG_GROUP = '/logwarden/audit';
const VICTIM = '999999999999';

/** Publish through the real publisher to the emulator's bus, delivered by the central rule's pattern to a log group; read back. */
async function publishAndRead(records: ReturnType<typeof record>[]): Promise<Record<string, unknown>[]> {
  const clients = emu.clients();
  const events = clients.get(EventBridgeClient, REGION);
  const logs = clients.get(CloudWatchLogsClient, REGION);
  await events.send(new CreateEventBusCommand({ Name: AUDIT_BUS }));
  await logs.send(new CreateLogGroupCommand({ logGroupName: LOG_GROUP }));
  await events.send(
    new PutRuleCommand({
      Name: 'logwarden-audit-records',
      EventBusName: AUDIT_BUS,
      EventPattern: JSON.stringify(auditRecordPattern()),
    }),
  );
  await events.send(
    new PutTargetsCommand({
      Rule: 'logwarden-audit-records',
      EventBusName: AUDIT_BUS,
      Targets: [{ Id: 'AuditLogGroup', Arn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${LOG_GROUP}` }],
    }),
  );
  await new EventBridgeAuditPublisher({ clients, eventBus: AUDIT_BUS, region: REGION, logger: quietLogger() }).publish(records);
  const out = await logs.send(new FilterLogEventsCommand({ logGroupName: LOG_GROUP }));
  return (out.events ?? []).map((e) => JSON.parse(e.message ?? '') as Record<string, unknown>);
}

const checked = (event: unknown) => {
  const lines: string[] = [];
  const verdict = handleOriginEvent(event, (l) => lines.push(l));
  return { verdict, line: JSON.parse(lines[0] as string) as Record<string, unknown> };
};

describe('the origin check on events delivered by the emulator’s bus (#13 item 2)', () => {
  it('quarantines the forged record and counts the honest one under the account that sent both', async () => {
    const honest = record({ account: ACCOUNT, outcome: 'failed' });
    const forged = record({ account: VICTIM, outcome: 'remediated' });
    const delivered = await publishAndRead([honest, forged]);
    expect(delivered).toHaveLength(2);
    const byId = (id: string) => delivered.find((e) => (e.detail as { id: string }).id === id) as Record<string, unknown>;

    // Emulator gap: moto's EventBridge → CloudWatch Logs (and SQS) delivery renders the event with a
    // template that leaves out the envelope's `account`, which AWS always sets. Without it the origin
    // cannot be checked, and the check fails closed: both records are quarantined, neither counted.
    expect(delivered.every((e) => !('account' in e))).toBe(true);
    expect(checked(byId(honest.id)).verdict).toMatchObject({ verdict: 'quarantined', reason: 'unverifiable' });

    // As AWS delivers them: the envelope's account is the caller of PutEvents (here the emulator's account).
    const asAws = (e: Record<string, unknown>) => ({ ...e, account: ACCOUNT });
    expect(checked(asAws(byId(honest.id))).verdict).toMatchObject({ verdict: 'admitted', account: ACCOUNT, outcome: 'failed' });
    const quarantined = checked(asAws(byId(forged.id)));
    expect(quarantined.verdict).toMatchObject({
      verdict: 'quarantined',
      reason: 'account-mismatch',
      account: ACCOUNT,
      claimedAccount: VICTIM,
    });
    // Kept: the quarantine line holds the event as delivered, envelope and record.
    expect(quarantined.line.event).toEqual(asAws(byId(forged.id)));
  });
});
