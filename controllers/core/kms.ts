import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import type { AwsClients } from './aws.js';
import { type AuditSigner, SIGNING_ALGORITHM } from './signing.js';

/** The region of a KMS key or alias ARN, else the fallback. */
export function kmsRegion(keyId: string, fallback: string): string {
  return /^arn:aws[a-z-]*:kms:([a-z0-9-]+):/.exec(keyId)?.[1] ?? fallback;
}

/**
 * The two KMS calls logwarden makes (`Sign`, `GetPublicKey`), with the SDK's KMS client from the
 * shared `AwsClients` (same credentials, endpoint, retries and call recording as every other client).
 */
export class KmsClient {
  constructor(
    private readonly clients: AwsClients,
    readonly region: string,
  ) {}

  private kms(): KMSClient {
    return this.clients.get(KMSClient, this.region);
  }

  /** `kms:Sign` of a short message (`RAW`: KMS hashes it with SHA-256). */
  async sign(keyId: string, message: Buffer): Promise<{ keyId: string; signature: Buffer }> {
    const out = await this.kms().send(
      new SignCommand({ KeyId: keyId, Message: message, MessageType: 'RAW', SigningAlgorithm: SIGNING_ALGORITHM }),
    );
    return { keyId: out.KeyId ?? keyId, signature: Buffer.from(out.Signature ?? new Uint8Array()) };
  }

  /** `kms:GetPublicKey`: the DER (SubjectPublicKeyInfo) public key and the key's ARN. */
  async getPublicKey(keyId: string): Promise<{ keyId: string; publicKey: Buffer; keySpec: string }> {
    const out = await this.kms().send(new GetPublicKeyCommand({ KeyId: keyId }));
    // KeySpec is the current name; moto (and older answers) give only CustomerMasterKeySpec.
    const keySpec = out.KeySpec ?? out.CustomerMasterKeySpec ?? 'unknown';
    return { keyId: out.KeyId ?? keyId, publicKey: Buffer.from(out.PublicKey ?? new Uint8Array()), keySpec };
  }
}

/**
 * Signs batches with the audit signing key. `RAW` and not `DIGEST`: the message is a few dozen
 * bytes, so hashing it in KMS costs nothing, and moto signs `DIGEST` messages as `RAW`, which would
 * make the emulator's signatures differ from AWS's.
 */
export class KmsAuditSigner implements AuditSigner {
  private readonly kms: KmsClient;
  constructor(
    clients: AwsClients,
    readonly keyId: string,
    fallbackRegion: string,
  ) {
    this.kms = new KmsClient(clients, kmsRegion(keyId, fallbackRegion));
  }

  sign(message: Buffer): Promise<{ keyId: string; signature: Buffer }> {
    return this.kms.sign(this.keyId, message);
  }
}
