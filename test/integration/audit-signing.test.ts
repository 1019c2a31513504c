/**
 * Signed audit records end to end on the emulator: moto's KMS signs (Sign), the real publisher sends
 * to the emulator bus, EventBridge delivers to the central log group and a queue, and
 * `logwarden audit --verify` checks them with the public key from GetPublicKey or from a file.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchLogsClient, CreateLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateAliasCommand, CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SigningKeyError } from '../../cli/audit/errors.js';
import type { AuditSummary } from '../../cli/audit/summary.js';
import { queueBehindRule, type RuleQueue } from '../../cli/audit-bus.js';
import { EventBridgeAuditPublisher, policyAuditPublisher } from '../../controllers/core/audit.js';
import type { AwsClients } from '../../controllers/core/aws.js';
import { KmsAuditSigner } from '../../controllers/core/kms.js';
import { parsePolicy } from '../../controllers/core/policy.js';
import { AUDIT_SOURCE, type AuditRecord } from '../../controllers/core/record.js';
import { runAudit } from '../helpers/audit-cli.js';
import { ACCOUNT, AUDIT_BUS, createAuditBus, quietLogger, REGION, useEmulator } from '../helpers/emulator.js';
import { policyWith } from '../helpers/policy.js';
import { record } from '../helpers/records.js';

const emu = useEmulator();
const LOG_GROUP = '/logwarden/audit';
const ALIAS = 'alias/logwarden-audit-signing';
const dir = mkdtempSync(join(tmpdir(), 'logwarden-signing-'));

/** A signing key on the emulator (the product only signs and reads public keys; the tests also create keys). */
async function signingKey(alias?: string): Promise<string> {
  const kms = emu.clients().get(KMSClient, REGION);
  const { KeyMetadata } = await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }));
  if (alias) await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: KeyMetadata?.KeyId }));
  return KeyMetadata?.Arn as string;
}

/** The central pipeline's shape on the emulator: the bus, a rule to the audit log group, and a queue to read envelopes. */
async function pipeline(clients: AwsClients): Promise<RuleQueue> {
  await createAuditBus(clients, REGION);
  await clients.get(CloudWatchLogsClient, REGION).send(new CreateLogGroupCommand({ logGroupName: LOG_GROUP }));
  const events = clients.get(EventBridgeClient, REGION);
  await events.send(
    new PutRuleCommand({ Name: 'to-logs', EventBusName: AUDIT_BUS, EventPattern: JSON.stringify({ source: [AUDIT_SOURCE] }) }),
  );
  await events.send(
    new PutTargetsCommand({
      Rule: 'to-logs',
      EventBusName: AUDIT_BUS,
      Targets: [{ Id: 'logs', Arn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${LOG_GROUP}` }],
    }),
  );
  return queueBehindRule(clients, REGION, { name: 'envelopes', pattern: { source: [AUDIT_SOURCE] }, eventBusName: AUDIT_BUS });
}

// As against AWS: the CLI finds the key's region in AWS_REGION when the key is named by alias.
const savedRegion = process.env.AWS_REGION;
beforeEach(() => {
  process.env.AWS_REGION = REGION;
});
afterEach(() => {
  if (savedRegion === undefined) delete process.env.AWS_REGION;
  else process.env.AWS_REGION = savedRegion;
});

const compliant = (n: number) =>
  Array.from({ length: n }, (_, i) => record({ outcome: 'compliant', reason: `compliant ${i}`, drift: [], actions: [] }));

const summaryOf = (out: string) => JSON.parse(out) as AuditSummary;

describe('signed audit records on the emulator', () => {
  it('publish through the real publisher with one Sign call → read back → verify OK; one edited record is caught with its line', async () => {
    const calls: string[] = [];
    const clients = emu.clients((call) => calls.push(call.action));
    const keyArn = await signingKey(ALIAS);
    const queue = await pipeline(clients);
    const policy = parsePolicy({ ...policyWith({}), audit: { eventBus: AUDIT_BUS, signingKey: keyArn } }, []);
    await policyAuditPublisher(policy, { clients, region: REGION, logger: quietLogger() }).publish(compliant(12));
    expect(calls.filter((a) => a === 'kms:Sign')).toHaveLength(1);

    // From the central log group, the key fetched with GetPublicKey by its alias.
    const fromLogs = await runAudit([`logs://${LOG_GROUP}`, '--verify', '--summary', '--json'], { clients });
    const s = summaryOf(fromLogs.out);
    // AWS answers GetPublicKey with the key ARN, moto with the key id.
    expect(keyArn.endsWith(`key/${s.signatures?.key.keyId}`)).toBe(true);
    expect(s.signatures?.counts).toEqual({ verified: 12, unsigned: 0, invalid: 0, altered: 0 });
    expect(fromLogs.code).toBe(0);

    // The envelopes in a file; one record's reason edited after signing.
    const envelopes = await queue.drain();
    expect(envelopes).toHaveLength(12);
    const lines = envelopes.map((e) => JSON.stringify(e));
    const edited = JSON.parse(lines[4] as string) as { detail: AuditRecord };
    edited.detail.reason = 'compliant (forged)';
    lines[4] = JSON.stringify(edited);
    const file = join(dir, 'edited.jsonl');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const res = await runAudit([file, '--verify'], { clients });
    expect(res.out).toContain(': 11 of 12 selected record(s) verified; 0 unsigned, 0 invalid, 1 altered');
    expect(res.out).toMatch(
      new RegExp(`${file}:5  altered \\(record ${edited.detail.id}\\): the record differs from what was signed`),
    );
    expect(res.code).toBe(1);
  });

  it('exports the public key once, then verifies offline from the file without calling KMS', async () => {
    const keyArn = await signingKey(ALIAS);
    const clients = emu.clients();
    const queue = await pipeline(clients);
    await new EventBridgeAuditPublisher({
      clients,
      eventBus: AUDIT_BUS,
      region: REGION,
      logger: quietLogger(),
      signer: new KmsAuditSigner(clients, keyArn, REGION),
    }).publish(compliant(3));
    const file = join(dir, 'signed.jsonl');
    writeFileSync(file, `${(await queue.drain()).map((e) => JSON.stringify(e)).join('\n')}\n`);

    const pem = join(dir, 'keys', 'audit-signing.pem');
    const exported = await runAudit(['--export-public-key', pem], { clients });
    expect(exported.out).toBe(`public key of ${keyArn.split('/')[1]} (ECC_NIST_P256) written to ${pem}\n`);
    expect(readFileSync(pem, 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);

    const calls: string[] = [];
    const offline = await runAudit([file, '--verify', '--public-key', pem, '--summary', '--json'], {
      clients: emu.clients((call) => calls.push(call.action)),
    });
    expect(summaryOf(offline.out).signatures?.counts.verified).toBe(3);
    expect(calls).toEqual([]);
  });

  it('a batch signed by another KMS key is invalid; a key that cannot sign leaves records unsigned with the reason', async () => {
    const trusted = await signingKey(ALIAS);
    const other = await signingKey();
    const clients = emu.clients();
    const queue = await pipeline(clients);
    const publish = (keyArn: string, records: AuditRecord[]) =>
      policyAuditPublisher(parsePolicy({ ...policyWith({}), audit: { eventBus: AUDIT_BUS, signingKey: keyArn } }, []), {
        clients,
        region: REGION,
        logger: quietLogger(),
      }).publish(records);
    await publish(other, compliant(2));
    await publish(`arn:aws:kms:${REGION}:${ACCOUNT}:key/00000000-0000-0000-0000-000000000000`, compliant(1));
    const file = join(dir, 'mixed.jsonl');
    writeFileSync(file, `${(await queue.drain()).map((e) => JSON.stringify(e)).join('\n')}\n`);

    const s = summaryOf((await runAudit([file, '--verify', '--summary', '--json'], { clients })).out);
    expect(trusted.endsWith(`key/${s.signatures?.key.keyId}`)).toBe(true);
    expect(s.signatures?.counts).toEqual({ verified: 0, unsigned: 1, invalid: 2, altered: 0 });
    const reasons = s.signatures?.findings.map((f) => `${f.status}: ${f.reason}`).sort();
    expect(reasons?.[0]).toMatch(/^invalid: signed by another key: arn:aws:kms:/);
    expect(reasons?.[2]).toMatch(/^unsigned: published unsigned: signing failed: NotFoundException/);
  });

  it('--verify with no key available is an error before anything is read (exit 2 in the CLI)', async () => {
    const clients = emu.clients();
    await expect(runAudit([join(dir, 'none.jsonl'), '--verify'], { clients })).rejects.toBeInstanceOf(SigningKeyError);
    await expect(
      runAudit([join(dir, 'none.jsonl'), '--verify', '--public-key', join(dir, 'missing.pem')], { clients }),
    ).rejects.toThrow(/cannot read the public key file/);
    const notAKey = join(dir, 'not-a-key.pem');
    writeFileSync(notAKey, 'hello');
    await expect(runAudit([join(dir, 'none.jsonl'), '--verify', '--public-key', notAKey], { clients })).rejects.toThrow(
      /not a public key/,
    );
  });
});
