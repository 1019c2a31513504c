import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import type { AuditSigner } from '../../controllers/core/signing.js';

/** A P-256 key pair, as KMS's ECC_NIST_P256 keys are. */
export function p256(): { publicKey: KeyObject; privateKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

/** Signs like KMS `Sign` (ECDSA_SHA_256, RAW message, DER signature) with a local key; counts its calls. */
export function localSigner(
  privateKey: KeyObject,
  keyId = 'arn:aws:kms:eu-west-1:999999999999:key/11111111-2222-3333-4444-555555555555',
): AuditSigner & { calls: number } {
  return {
    keyId,
    calls: 0,
    async sign(message: Buffer) {
      this.calls++;
      return { keyId, signature: sign('sha256', message, { key: privateKey, dsaEncoding: 'der' }) };
    },
  };
}

/** A signer whose KMS call is refused. */
export function refusingSigner(): AuditSigner {
  return {
    keyId: 'arn:aws:kms:eu-west-1:999999999999:key/refused',
    async sign() {
      throw Object.assign(new Error('User is not authorized to perform: kms:Sign'), { name: 'AccessDeniedException' });
    },
  };
}
