import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import {
  batchMessage,
  recordDigest,
  rootFromProof,
  SIGNING_ALGORITHM,
  type SignedIntegrity,
  signedIntegritySchema,
} from '../../controllers/core/signing.js';
import { SigningKeyError } from './errors.js';

/**
 * `logwarden audit --verify`: checks each record's signature offline against one trusted public
 * key. The key is never taken from the record (an attacker can sign with a key of their own and
 * name it there); the record's `keyId` is only compared with the trusted key's when that is known.
 */

export type SignatureStatus = 'verified' | 'unsigned' | 'invalid' | 'altered';

/** The key records must be signed with, and where it came from. */
export interface TrustedKey {
  key: KeyObject;
  /** The key's ARN when it was fetched with GetPublicKey; null for a key file. */
  keyId: string | null;
  /** `file.pem` or `kms:arn:...`, for the report. */
  source: string;
}

/** A public key from a PEM or DER (SubjectPublicKeyInfo) file's bytes. Throws {@link SigningKeyError}. */
export function parsePublicKey(bytes: Buffer, source: string): KeyObject {
  const text = bytes.toString('utf8');
  try {
    return text.includes('-----BEGIN') ? createPublicKey(text) : createPublicKey({ key: bytes, format: 'der', type: 'spki' });
  } catch (cause) {
    throw new SigningKeyError(source, `not a public key (PEM, or DER SubjectPublicKeyInfo): ${(cause as Error).message}`, {
      cause,
    });
  }
}

/** Why a key cannot check logwarden's signatures, or null when it is an EC P-256 key. Pure. */
export function keyTypeProblem(key: KeyObject): string | null {
  const type = key.asymmetricKeyType ?? 'unknown';
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (type === 'ec' && curve === 'prime256v1') return null;
  return `the public key is ${type}${curve ? ` (${curve})` : ''}: records are signed with ${SIGNING_ALGORITHM} and need an EC P-256 (ECC_NIST_P256) key`;
}

/** Is this a well-formed DER ECDSA-Sig-Value (SEQUENCE of two INTEGERs, nothing after)? Pure. */
export function isDerEcdsaSignature(sig: Buffer): boolean {
  if (sig.length < 8 || sig.length > 72 || sig[0] !== 0x30 || sig[1] !== sig.length - 2) return false;
  let at = 2;
  for (let i = 0; i < 2; i++) {
    const length = sig[at + 1] ?? 0;
    if (sig[at] !== 0x02 || length < 1 || length > 33) return false;
    at += 2 + length;
  }
  return at === sig.length;
}

/**
 * Do two key ids name the same key? KMS generates key ids (the part after `key/`), so they are
 * compared; the ARN form is not always given (moto's GetPublicKey answers the bare id). Pure.
 */
export function sameKey(a: string, b: string): boolean {
  const id = (k: string) => {
    const at = k.lastIndexOf('key/');
    return at < 0 ? k : k.slice(at + 4);
  };
  return id(a) === id(b);
}

export interface SignatureCheck {
  status: SignatureStatus;
  reason: string;
}

const b64 = (text: string) => Buffer.from(text, 'base64');

/** Checks records against one trusted key; a batch's signature is verified once and remembered. */
export class SignatureVerifier {
  private readonly batches = new Map<string, boolean>();
  private readonly keyProblem: string | null;

  constructor(private readonly trusted: TrustedKey) {
    this.keyProblem = keyTypeProblem(trusted.key);
  }

  /** The status of one record as read (the JSON object, `integrity` included). */
  check(raw: Record<string, unknown>): SignatureCheck {
    const integrity = raw.integrity as { status?: unknown; reason?: unknown } | undefined;
    if (integrity === undefined)
      return { status: 'unsigned', reason: 'no integrity field (written before signing, or stripped)' };
    if (integrity?.status === 'unsigned') {
      return { status: 'unsigned', reason: `published unsigned: ${String(integrity.reason ?? 'no reason given').slice(0, 300)}` };
    }
    const parsed = signedIntegritySchema.safeParse(integrity);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return { status: 'invalid', reason: `malformed integrity: ${issue?.path.join('.') || '(integrity)'}: ${issue?.message}` };
    }
    return this.checkSigned(raw, parsed.data);
  }

  private checkSigned(raw: Record<string, unknown>, sig: SignedIntegrity): SignatureCheck {
    if (this.keyProblem) return { status: 'invalid', reason: this.keyProblem };
    if (sig.algorithm !== SIGNING_ALGORITHM)
      return { status: 'invalid', reason: `unsupported algorithm ${JSON.stringify(sig.algorithm)}` };
    if (this.trusted.keyId && !sameKey(sig.keyId, this.trusted.keyId)) {
      return { status: 'invalid', reason: `signed by another key: ${sig.keyId} (trusted: ${this.trusted.keyId})` };
    }
    const signature = b64(sig.signature);
    if (!isDerEcdsaSignature(signature)) {
      return {
        status: 'invalid',
        reason: `malformed signature (${signature.length} bytes, not a DER ECDSA signature: truncated?)`,
      };
    }
    if (!this.batchVerifies(sig, signature)) {
      return {
        status: 'invalid',
        reason:
          'bad signature: it does not verify with the trusted key (signed by another key, or the batch root or count was edited)',
      };
    }
    const root = rootFromProof(recordDigest(raw), sig.index, sig.count, sig.proof.map(b64));
    if (!root?.equals(b64(sig.root))) {
      return { status: 'altered', reason: 'the record differs from what was signed (edited after signing, or its proof was)' };
    }
    return { status: 'verified', reason: '' };
  }

  private batchVerifies(sig: SignedIntegrity, signature: Buffer): boolean {
    const cacheKey = `${sig.count}|${sig.root}|${sig.signature}`;
    let ok = this.batches.get(cacheKey);
    if (ok === undefined) {
      try {
        ok = verify('sha256', batchMessage(sig.count, b64(sig.root)), { key: this.trusted.key, dsaEncoding: 'der' }, signature);
      } catch {
        ok = false;
      }
      this.batches.set(cacheKey, ok);
    }
    return ok;
  }
}

/** A record that did not verify, where it was read, and why. */
export interface SignatureFinding {
  location: string;
  recordId: string;
  status: Exclude<SignatureStatus, 'verified'>;
  reason: string;
}

/** The integrity status of the selected records under `--verify`. */
export interface SignatureReport {
  /** Where the trusted key came from, and its ARN when known. */
  key: { source: string; keyId: string | null };
  checked: number;
  counts: Record<SignatureStatus, number>;
  /** The first {@link MAX_LISTED_FINDINGS} records that did not verify. */
  findings: SignatureFinding[];
  findingsTruncated: boolean;
}

const MAX_LISTED_FINDINGS = 10_000;

/** Counts and lists the statuses of the records it is given. */
export class SignatureTally {
  private readonly verifier: SignatureVerifier;
  private readonly counts: Record<SignatureStatus, number> = { verified: 0, unsigned: 0, invalid: 0, altered: 0 };
  private readonly findings: SignatureFinding[] = [];

  constructor(private readonly trusted: TrustedKey) {
    this.verifier = new SignatureVerifier(trusted);
  }

  add(raw: Record<string, unknown>, location: string): SignatureStatus {
    const { status, reason } = this.verifier.check(raw);
    this.counts[status]++;
    if (status !== 'verified' && this.findings.length < MAX_LISTED_FINDINGS) {
      this.findings.push({ location, recordId: String(raw.id), status, reason });
    }
    return status;
  }

  result(): SignatureReport {
    const checked = Object.values(this.counts).reduce((sum, n) => sum + n, 0);
    return {
      key: { source: this.trusted.source, keyId: this.trusted.keyId },
      checked,
      counts: { ...this.counts },
      findings: [...this.findings],
      findingsTruncated: checked - this.counts.verified > this.findings.length,
    };
  }
}

/** Records that did not verify: each is a finding (exit code 1). Pure. */
export function signatureFindings(report: SignatureReport | undefined): number {
  return report ? report.checked - report.counts.verified : 0;
}
