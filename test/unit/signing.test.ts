import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  isDerEcdsaSignature,
  keyTypeProblem,
  SignatureTally,
  SignatureVerifier,
  type TrustedKey,
} from '../../cli/audit/verify.js';
import type { AuditRecord } from '../../controllers/core/record.js';
import {
  canonicalJson,
  merkleTree,
  recordDigest,
  rootFromProof,
  type SignedIntegrity,
  signRecords,
} from '../../controllers/core/signing.js';
import { record } from '../helpers/records.js';
import { localSigner, p256, refusingSigner } from '../helpers/signing.js';

const KEY_ARN = 'arn:aws:kms:eu-west-1:999999999999:key/11111111-2222-3333-4444-555555555555';
const logwardenKey = p256();
const trusted: TrustedKey = { key: logwardenKey.publicKey, keyId: KEY_ARN, source: 'test' };

/** What a reader gets: the published JSON text, parsed. */
const asRead = (r: AuditRecord) => JSON.parse(JSON.stringify(r)) as Record<string, unknown>;
const integrityOf = (r: Record<string, unknown>) => r.integrity as SignedIntegrity;

async function signedBatch(n: number, signer = localSigner(logwardenKey.privateKey, KEY_ARN)) {
  const out = await signRecords(
    Array.from({ length: n }, (_, i) => record({ reason: `record ${i}` })),
    signer,
  );
  return out.records.map(asRead);
}

describe('canonical digest', () => {
  it('does not depend on key order or whitespace, and covers every value', () => {
    expect(canonicalJson({ b: 1, a: [true, null, { d: 'x', c: 2 }] })).toBe('{"a":[true,null,{"c":2,"d":"x"}],"b":1}');
    expect(canonicalJson({ a: undefined, b: 'é"\n' })).toBe('{"b":"é\\"\\n"}');
    const r = record();
    const reordered = Object.fromEntries(Object.entries(r).reverse()) as AuditRecord;
    expect(recordDigest(reordered).equals(recordDigest(r))).toBe(true);
    expect(recordDigest({ ...r, outcome: 'failed' }).equals(recordDigest(r))).toBe(false);
    expect(
      recordDigest({ ...r, drift: [{ property: 'isLogging', observed: true, desired: true }] }).equals(recordDigest(r)),
    ).toBe(false);
  });

  it('leaves the integrity field out (it holds the signature)', () => {
    const r = record();
    expect(recordDigest({ ...r, integrity: { status: 'unsigned', reason: 'x' } }).equals(recordDigest(r))).toBe(true);
  });
});

describe('Merkle proofs', () => {
  it('lead every leaf to the root, for trees of 1 to 33 leaves', () => {
    for (let n = 1; n <= 33; n++) {
      const leaves = Array.from({ length: n }, (_, i) => recordDigest(record({ id: `r${i}` })));
      const { root, proofs } = merkleTree(leaves);
      leaves.forEach((leaf, i) => {
        expect(rootFromProof(leaf, i, n, proofs[i] ?? [])?.equals(root)).toBe(true);
        expect((proofs[i] ?? []).length).toBeLessThanOrEqual(Math.ceil(Math.log2(n)));
      });
    }
  });

  it('fail for another index, a shortened or lengthened proof, another leaf', () => {
    const leaves = Array.from({ length: 7 }, (_, i) => recordDigest(record({ id: `r${i}` })));
    const { root, proofs } = merkleTree(leaves);
    const proof = proofs[2] ?? [];
    expect(rootFromProof(leaves[2] as Buffer, 3, 7, proof)?.equals(root) ?? false).toBe(false);
    expect(rootFromProof(leaves[2] as Buffer, 2, 7, proof.slice(1))).toBeNull();
    expect(rootFromProof(leaves[2] as Buffer, 2, 7, [...proof, root])).toBeNull();
    expect(rootFromProof(leaves[2] as Buffer, 7, 7, proof)).toBeNull();
    expect(rootFromProof(leaves[3] as Buffer, 2, 7, proof)?.equals(root)).toBe(false);
  });
});

describe('signRecords', () => {
  it('signs a batch with one signature; each record carries what checks it alone', async () => {
    const signer = localSigner(logwardenKey.privateKey, KEY_ARN);
    const records = await signedBatch(25, signer);
    expect(signer.calls).toBe(1);
    expect(new Set(records.map((r) => integrityOf(r).signature)).size).toBe(1);
    expect(records.map((r) => integrityOf(r).index)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    const verifier = new SignatureVerifier(trusted);
    expect(records.map((r) => verifier.check(r).status)).toEqual(Array(25).fill('verified'));
  });

  it('without a key, publishes unsigned and says so', async () => {
    const { records, error } = await signRecords([record()], undefined);
    expect(error).toBeUndefined();
    expect(records[0]?.integrity).toEqual({ status: 'unsigned', reason: 'no signing key configured (policy audit.signingKey)' });
  });

  it('when signing fails, keeps every record, unsigned, with the reason', async () => {
    const { records, error } = await signRecords([record(), record()], refusingSigner());
    expect(records).toHaveLength(2);
    expect(error).toMatch(/^signing failed: AccessDeniedException: User is not authorized/);
    expect(records.every((r) => r.integrity?.status === 'unsigned' && r.integrity.reason === error)).toBe(true);
  });
});

describe('SignatureVerifier: each tampering is caught', () => {
  it('a record edited after signing is altered; its batch mates still verify', async () => {
    const [a, b] = await signedBatch(2);
    const edited = { ...a, outcome: 'compliant' };
    const verifier = new SignatureVerifier(trusted);
    expect(verifier.check(edited)).toEqual({ status: 'altered', reason: expect.stringMatching(/edited after signing/) });
    expect(verifier.check({ ...(b as object), extra: 'added' })).toMatchObject({ status: 'altered' });
    expect(verifier.check(b as Record<string, unknown>).status).toBe('verified');
  });

  it('a proof moved to another record of the batch is caught', async () => {
    const [a, b] = await signedBatch(3);
    const swapped = { ...a, integrity: integrityOf(b as Record<string, unknown>) };
    expect(new SignatureVerifier(trusted).check(swapped as Record<string, unknown>).status).toBe('altered');
  });

  it('a signature from another key is invalid, whatever key id the record names', async () => {
    const other = p256();
    const forged = await signedBatch(1, localSigner(other.privateKey, KEY_ARN));
    expect(new SignatureVerifier(trusted).check(forged[0] as Record<string, unknown>)).toMatchObject({
      status: 'invalid',
      reason: expect.stringMatching(/^bad signature/),
    });
    const named = await signedBatch(1, localSigner(other.privateKey, 'arn:aws:kms:eu-west-1:111111111111:key/attacker'));
    expect(new SignatureVerifier(trusted).check(named[0] as Record<string, unknown>).reason).toMatch(/signed by another key/);
    // With a key file the key id is unknown: the signature alone decides.
    const fileKey = new SignatureVerifier({ ...trusted, keyId: null });
    expect(fileKey.check(named[0] as Record<string, unknown>).reason).toMatch(/^bad signature/);
  });

  it('an unsigned record is reported, with the reason it was published unsigned', async () => {
    const verifier = new SignatureVerifier(trusted);
    expect(verifier.check(asRead(record())).status).toBe('unsigned');
    const { records } = await signRecords([record()], refusingSigner());
    expect(verifier.check(asRead(records[0] as AuditRecord))).toEqual({
      status: 'unsigned',
      reason: expect.stringMatching(/^published unsigned: signing failed: AccessDeniedException/),
    });
  });

  it('a truncated signature is invalid (malformed), not a crash', async () => {
    const [a] = await signedBatch(1);
    const sig = integrityOf(a as Record<string, unknown>).signature;
    const truncated = Buffer.from(sig, 'base64').subarray(0, 40).toString('base64');
    const check = new SignatureVerifier(trusted).check({
      ...a,
      integrity: { ...integrityOf(a as Record<string, unknown>), signature: truncated },
    });
    expect(check).toEqual({ status: 'invalid', reason: expect.stringMatching(/malformed signature \(40 bytes.*truncated/) });
    expect(isDerEcdsaSignature(Buffer.from(sig, 'base64'))).toBe(true);
  });

  it('a public key of the wrong type makes every signed record invalid with the reason', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey;
    const [a] = await signedBatch(1);
    expect(new SignatureVerifier({ key: rsa, keyId: null, source: 'rsa.pem' }).check(a as Record<string, unknown>)).toEqual({
      status: 'invalid',
      reason: expect.stringMatching(/the public key is rsa: .*EC P-256/),
    });
    expect(keyTypeProblem(p384)).toMatch(/ec \(secp384r1\)/);
    expect(keyTypeProblem(logwardenKey.publicKey)).toBeNull();
  });

  it('a malformed integrity field or an unknown algorithm is invalid', async () => {
    const [a] = await signedBatch(1);
    const verifier = new SignatureVerifier(trusted);
    const integrity = integrityOf(a as Record<string, unknown>);
    expect(verifier.check({ ...a, integrity: { ...integrity, proof: 'x' } }).reason).toMatch(/^malformed integrity: proof/);
    expect(verifier.check({ ...a, integrity: { ...integrity, algorithm: 'NONE' } }).reason).toMatch(
      /unsupported algorithm "NONE"/,
    );
    expect(verifier.check({ ...a, integrity: 'signed' }).status).toBe('invalid');
  });

  it('the tally counts statuses and lists the records that did not verify with their location', async () => {
    const [a, b] = await signedBatch(2);
    const tally = new SignatureTally(trusted);
    tally.add(a as Record<string, unknown>, 'f.jsonl:1');
    tally.add({ ...b, reason: 'forged' }, 'f.jsonl:2');
    tally.add(asRead(record({ id: 'old' })), 'f.jsonl:3');
    const report = tally.result();
    expect(report.counts).toEqual({ verified: 1, unsigned: 1, invalid: 0, altered: 1 });
    expect(report.findings.map((f) => [f.location, f.status])).toEqual([
      ['f.jsonl:2', 'altered'],
      ['f.jsonl:3', 'unsigned'],
    ]);
  });
});

describe('key ids', () => {
  it('an ARN and its bare key id name the same key; another id does not', async () => {
    const { sameKey } = await import('../../cli/audit/verify.js');
    expect(sameKey(KEY_ARN, '11111111-2222-3333-4444-555555555555')).toBe(true);
    expect(sameKey(KEY_ARN, KEY_ARN)).toBe(true);
    expect(sameKey(KEY_ARN, 'arn:aws:kms:eu-west-1:111111111111:key/66666666-2222-3333-4444-555555555555')).toBe(false);
  });
});
