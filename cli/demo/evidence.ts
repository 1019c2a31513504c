import { writeFileSync } from 'node:fs';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import type { AwsClients } from '../../controllers/core/aws.js';
import { KmsAuditSigner } from '../../controllers/core/kms.js';
import type { AuditRecord } from '../../controllers/core/record.js';
import { signRecords } from '../../controllers/core/signing.js';
import { auditInProcess } from '../audit/command.js';
import type { AuditSummary } from '../audit/summary.js';

/**
 * The demo's evidence step (#13): the records read back from the bus are signed with the deployment's
 * KMS key; a copy of them gets one record edited after signing and one forged with the adversary's
 * own KMS key, and `logwarden audit --verify` must catch exactly those two.
 */

/** A KMS signing key on the emulator, like the central stack's `AuditSigningKeyArn`. */
export async function createSigningKey(clients: AwsClients, region: string): Promise<string> {
  const { KeyMetadata } = await clients
    .get(KMSClient, region)
    .send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY', Description: 'logwarden demo' }));
  if (!KeyMetadata?.Arn) throw new Error('the emulator created a KMS key without an ARN');
  return KeyMetadata.Arn;
}

export interface ForgeryOutcome {
  ok: boolean;
  lines: string[];
}

/** The saved records plus one edited after signing and one signed with another key, as JSON lines. */
async function tamperedCopy(saved: readonly AuditRecord[], clients: AwsClients, region: string): Promise<string> {
  const victim = saved.find((r) => r.outcome === 'remediated') ?? saved[0];
  if (!victim) throw new Error('the demo saved no record to tamper with');
  const edited = { ...victim, outcome: 'compliant', reason: 'nothing to do (edited after signing)' };
  const attackerKey = await createSigningKey(clients, region);
  const { records: forged } = await signRecords(
    [{ ...victim, id: `${victim.id}-forged`, outcome: 'compliant', reason: 'forged by a member-account admin' }],
    new KmsAuditSigner(clients, attackerKey, region),
  );
  return `${[...saved, edited, ...forged].map((r) => JSON.stringify(r)).join('\n')}\n`;
}

/** Writes the tampered copy next to `out` and checks that `--verify` catches the two bad records, and only them. */
export async function catchForgery(
  saved: readonly AuditRecord[],
  o: { out: string; keyArn: string; clients: AwsClients; region: string },
): Promise<ForgeryOutcome> {
  const file = o.out.replace(/(\.jsonl)?$/, '.tampered.jsonl');
  writeFileSync(file, await tamperedCopy(saved, o.clients, o.region));
  const out = await auditInProcess([file, '--verify', '--signing-key', o.keyArn, '--summary', '--json'], { clients: o.clients });
  const counts = (JSON.parse(out) as AuditSummary).signatures?.counts;
  const ok = counts?.verified === saved.length && counts.altered === 1 && counts.invalid === 1 && counts.unsigned === 0;
  return {
    ok,
    lines: [
      `evidence: every record is signed (KMS ${o.keyArn}); a copy with one record edited after signing and one signed with another key: ${file}`,
      `  ${ok ? '✔' : '✘'} logwarden audit --verify: ${counts?.verified ?? 0} verified, ${counts?.altered ?? 0} altered, ${counts?.invalid ?? 0} invalid, ${counts?.unsigned ?? 0} unsigned`,
    ],
  };
}
