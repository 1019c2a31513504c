import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { AuditRecord } from './record.js';

/**
 * Signed audit records (#13 item 3): the pure part. One invocation signs once: each record's digest
 * is a leaf of a Merkle tree, the batch's root is signed with the KMS key, and each record carries
 * the root, its index and the sibling hashes up to the root, so it can be checked on its own.
 *
 * - digest of a record: SHA-256(0x00 ‖ canonical JSON of the record without `integrity`)
 * - inner node: SHA-256(0x01 ‖ left ‖ right) (RFC 6962's domain separation: a leaf is never an inner node)
 * - tree: levels built left to right, a lone last node promoted unchanged (the shape of RFC 6962)
 * - signed message: `logwarden-audit-batch/1\n<count>\n<root base64>` (a few dozen bytes)
 */

/** The one algorithm records are signed with (an ECC_NIST_P256 key). */
export const SIGNING_ALGORITHM = 'ECDSA_SHA_256';
const BATCH_MESSAGE_PREFIX = 'logwarden-audit-batch/1';
const MAX_PROOF_LENGTH = 64;

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'not base64');

/** What a signed record carries to be checked alone. */
export const signedIntegritySchema = z
  .object({
    status: z.literal('signed'),
    keyId: z.string(),
    algorithm: z.string(),
    /** Leaves in the batch's tree. */
    count: z.number().int().min(1),
    index: z.number().int().min(0),
    root: base64,
    /** Sibling hashes from the leaf up to the root. */
    proof: z.array(base64).max(MAX_PROOF_LENGTH),
    /** DER-encoded ECDSA signature of the batch message. */
    signature: base64,
  })
  .strict();
export type SignedIntegrity = z.infer<typeof signedIntegritySchema>;

/** JSON with object keys sorted (UTF-16 order) and no whitespace, values as `JSON.stringify` writes them. Pure. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

const sha256 = (...parts: Uint8Array[]): Buffer => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
};
const LEAF = Buffer.from([0]);
const NODE = Buffer.from([1]);

/**
 * The leaf digest of a record as published: its JSON round trip (what a reader parses), without
 * the `integrity` field, canonicalised. Pure.
 */
export function recordDigest(record: AuditRecord | Record<string, unknown>): Buffer {
  const { integrity: _ignored, ...rest } = JSON.parse(JSON.stringify(record)) as Record<string, unknown>;
  return sha256(LEAF, Buffer.from(canonicalJson(rest), 'utf8'));
}

const nodeHash = (left: Uint8Array, right: Uint8Array): Buffer => sha256(NODE, left, right);

/** The Merkle root of the leaves and every leaf's proof. Pure. */
export function merkleTree(leaves: readonly Buffer[]): { root: Buffer; proofs: Buffer[][] } {
  if (leaves.length === 0) throw new RangeError('a Merkle tree needs at least one leaf');
  const proofs: Buffer[][] = leaves.map(() => []);
  // Which node of the current level each leaf is under.
  const position = leaves.map((_, i) => i);
  let level = [...leaves];
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const right = level[i + 1];
      next.push(right ? nodeHash(level[i] as Buffer, right) : (level[i] as Buffer));
    }
    position.forEach((at, leaf) => {
      const sibling = level[at ^ 1];
      if (sibling) proofs[leaf]?.push(sibling);
      position[leaf] = at >> 1;
    });
    level = next;
  }
  return { root: level[0] as Buffer, proofs };
}

/** The root a leaf and its proof lead to, or null when the proof does not fit the tree's shape. Pure. */
export function rootFromProof(leaf: Buffer, index: number, count: number, proof: readonly Buffer[]): Buffer | null {
  if (index < 0 || index >= count) return null;
  let hash = leaf;
  let at = index;
  let width = count;
  let used = 0;
  while (width > 1) {
    if (at % 2 === 1 || at + 1 < width) {
      const sibling = proof[used++];
      if (!sibling) return null;
      hash = at % 2 === 1 ? nodeHash(sibling, hash) : nodeHash(hash, sibling);
    }
    at >>= 1;
    width = Math.ceil(width / 2);
  }
  return used === proof.length ? hash : null;
}

/** The bytes that are signed for a batch. Pure. */
export function batchMessage(count: number, root: Buffer): Buffer {
  return Buffer.from(`${BATCH_MESSAGE_PREFIX}\n${count}\n${root.toString('base64')}`, 'utf8');
}

/** Signs a batch message with the audit signing key. */
export interface AuditSigner {
  /** The key's id, for records published unsigned. */
  readonly keyId: string;
  sign(message: Buffer): Promise<{ keyId: string; signature: Buffer }>;
}

/** A signing failure, as the `unsigned` reason says it. */
function signingFailure(error: unknown): string {
  const e = error as { code?: string; name?: string; message?: string };
  return `signing failed: ${e.code ?? e.name ?? 'Error'}: ${String(e.message ?? error).slice(0, 300)}`;
}

/**
 * The records with their `integrity`, signed with one signature for the whole batch. Without a
 * signer, or when signing fails, every record is returned unsigned with the reason (never dropped);
 * `error` is set in that second case for the caller to log.
 */
export async function signRecords(
  records: readonly AuditRecord[],
  signer: AuditSigner | undefined,
): Promise<{ records: AuditRecord[]; error?: string }> {
  if (records.length === 0) return { records: [] };
  // Published without a signature, and why (no key configured, or signing failed).
  const unsigned = (reason: string) => records.map((r) => ({ ...r, integrity: { status: 'unsigned', reason } }));
  if (!signer) return { records: unsigned('no signing key configured (policy audit.signingKey)') };
  const { root, proofs } = merkleTree(records.map(recordDigest));
  let signed: { keyId: string; signature: Buffer };
  try {
    signed = await signer.sign(batchMessage(records.length, root));
  } catch (error) {
    const reason = signingFailure(error);
    return { records: unsigned(reason), error: reason };
  }
  return {
    records: records.map((record, index) => {
      const integrity: SignedIntegrity = {
        status: 'signed',
        keyId: signed.keyId,
        algorithm: SIGNING_ALGORITHM,
        count: records.length,
        index,
        root: root.toString('base64'),
        proof: (proofs[index] ?? []).map((p) => p.toString('base64')),
        signature: signed.signature.toString('base64'),
      };
      return { ...record, integrity };
    }),
  };
}
