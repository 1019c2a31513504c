import { createPublicKey } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { AwsClients } from '../../controllers/core/aws.js';
import { ConfigError, errorCode } from '../../controllers/core/errors.js';
import { KmsClient, kmsRegion } from '../../controllers/core/kms.js';
import { SigningKeyError } from './errors.js';
import { parsePublicKey, type TrustedKey } from './verify.js';

/** The public key `--verify` trusts: `--public-key FILE`, else GetPublicKey of `--signing-key`. */

const HOW = 'give --public-key FILE (written once by `logwarden audit --export-public-key FILE`)';

async function fetchPublicKey(keyId: string, clients: AwsClients | undefined) {
  const region = kmsRegion(keyId, process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? '');
  if (!region) {
    throw new SigningKeyError(keyId, `no region to fetch the public key from (name a key ARN or set AWS_REGION); or ${HOW}`);
  }
  try {
    return await new KmsClient(clients ?? new AwsClients(), region).getPublicKey(keyId);
  } catch (cause) {
    throw new SigningKeyError(
      keyId,
      `GetPublicKey failed (${errorCode(cause)}: ${(cause as Error).message}); ${HOW}, or use credentials of the central account that may call kms:GetPublicKey`,
      { cause },
    );
  }
}

/** The trusted key for `--verify`, or undefined without it. Throws {@link SigningKeyError} when there is none (exit 2). */
export async function trustedKey(
  options: { verify?: boolean; publicKey?: string; signingKey: string },
  clients: AwsClients | undefined,
): Promise<TrustedKey | undefined> {
  if (!options.verify) {
    if (options.publicKey !== undefined) throw new ConfigError('--public-key', 'only with --verify');
    return undefined;
  }
  if (options.publicKey !== undefined) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(options.publicKey);
    } catch (cause) {
      throw new SigningKeyError(options.publicKey, `cannot read the public key file: ${(cause as Error).message}`, { cause });
    }
    return { key: parsePublicKey(bytes, options.publicKey), keyId: null, source: options.publicKey };
  }
  const fetched = await fetchPublicKey(options.signingKey, clients);
  const key = parsePublicKey(fetched.publicKey, `GetPublicKey ${fetched.keyId}`);
  return { key, keyId: fetched.keyId, source: `kms:${fetched.keyId}` };
}

/** `--export-public-key FILE`: the signing key's public key as PEM; returns what was written. */
export async function exportPublicKey(
  file: string,
  signingKey: string,
  clients: AwsClients | undefined,
): Promise<{ keyId: string; keySpec: string }> {
  const fetched = await fetchPublicKey(signingKey, clients);
  const pem = createPublicKey({ key: fetched.publicKey, format: 'der', type: 'spki' }).export({ type: 'spki', format: 'pem' });
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, pem);
  } catch (cause) {
    throw new SigningKeyError(file, `cannot write the public key: ${(cause as Error).message}`, { cause });
  }
  return { keyId: fetched.keyId, keySpec: fetched.keySpec };
}
