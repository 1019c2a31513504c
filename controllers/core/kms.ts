import { createHash, createHmac } from 'node:crypto';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { AwsClients } from './aws.js';
import { LogwardenError } from './errors.js';
import { type AuditSigner, SIGNING_ALGORITHM } from './signing.js';

/**
 * The two KMS calls logwarden makes (`Sign`, `GetPublicKey`), over KMS's JSON protocol with a SigV4
 * signature. Why not @aws-sdk/client-kms: every Lambda bundle publishes records, and two calls do
 * not justify a new dependency and its weight in each bundle. Credentials come from the same SDK
 * chain as the audit bus client (environment, profile, SSO, the Lambda role).
 */

/** A KMS call failed: `code` is KMS's error type (`AccessDeniedException`, `NotFoundException`, ...). */
class KmsError extends LogwardenError {
  readonly status: number;
  constructor(code: string, message: string, status: number, options?: { cause?: unknown }) {
    super(code, message, options);
    this.status = status;
  }
}

interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

const hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

/** The SigV4 headers of a KMS JSON request (AWS General Reference, "Signature Version 4"). Pure. */
export function signedKmsHeaders(input: {
  url: URL;
  region: string;
  target: string;
  body: string;
  credentials: Credentials;
  now: Date;
}): Record<string, string> {
  const amzDate = input.now.toISOString().replace(/[-:]|\.\d{3}/g, '');
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = {
    'content-type': 'application/x-amz-json-1.1',
    host: input.url.host,
    'x-amz-date': amzDate,
    'x-amz-target': `TrentService.${input.target}`,
  };
  if (input.credentials.sessionToken) headers['x-amz-security-token'] = input.credentials.sessionToken;
  const names = Object.keys(headers).sort();
  const canonical = [
    'POST',
    input.url.pathname || '/',
    '',
    ...names.map((n) => `${n}:${headers[n]}`),
    '',
    names.join(';'),
    hex(input.body),
  ].join('\n');
  const scope = `${day}/${input.region}/kms/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, hex(canonical)].join('\n');
  const key = ['kms', 'aws4_request'].reduce(
    (k, part) => hmac(k, part),
    hmac(hmac(`AWS4${input.credentials.secretAccessKey}`, day), input.region),
  );
  const signature = createHmac('sha256', key).update(toSign).digest('hex');
  const { host: _host, ...sent } = headers;
  return {
    ...sent,
    authorization: `AWS4-HMAC-SHA256 Credential=${input.credentials.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
  };
}

/** The region of a KMS key or alias ARN, else the fallback. */
export function kmsRegion(keyId: string, fallback: string): string {
  return /^arn:aws[a-z-]*:kms:([a-z0-9-]+):/.exec(keyId)?.[1] ?? fallback;
}

function parseJson(text: string): Record<string, unknown> {
  try {
    const value: unknown = text ? JSON.parse(text) : {};
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    // A proxy's HTML error page: the status says enough.
    return {};
  }
}

const RETRYABLE = /Throttl|LimitExceeded|KMSInternal|InternalFailure|ServiceUnavailable/;

/** A minimal KMS client for one region. */
export class KmsClient {
  constructor(
    private readonly clients: AwsClients,
    readonly region: string,
  ) {}

  private endpoint(): URL {
    const suffix = this.region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
    return new URL(this.clients.options.endpoint ?? `https://kms.${this.region}.${suffix}/`);
  }

  private async call<T>(target: string, input: Record<string, unknown>): Promise<T> {
    this.clients.options.recorder?.({ action: `kms:${target}`, region: this.region });
    const attempts = this.clients.options.maxAttempts ?? 3;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once<T>(target, input);
      } catch (error) {
        const retry = error instanceof KmsError ? error.status >= 500 || RETRYABLE.test(error.code) : true;
        if (!retry || attempt >= attempts) throw error;
        await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
      }
    }
  }

  private async once<T>(target: string, input: Record<string, unknown>): Promise<T> {
    const url = this.endpoint();
    const body = JSON.stringify(input);
    const credentials = await this.clients.get(EventBridgeClient, this.region).config.credentials();
    const headers = signedKmsHeaders({ url, region: this.region, target, body, credentials, now: new Date() });
    const res = await fetch(url, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(this.clients.options.requestTimeoutMs ?? 5000),
    });
    const text = await res.text();
    const json = parseJson(text);
    if (!res.ok) {
      const code = String(json.__type ?? `Http${res.status}`)
        .split('#')
        .pop() as string;
      throw new KmsError(code, String(json.message ?? json.Message ?? text.slice(0, 300)), res.status);
    }
    return json as T;
  }

  /** `kms:Sign` of a short message (`RAW`: KMS hashes it with SHA-256). */
  async sign(keyId: string, message: Buffer): Promise<{ keyId: string; signature: Buffer }> {
    const out = await this.call<{ KeyId: string; Signature: string }>('Sign', {
      KeyId: keyId,
      Message: message.toString('base64'),
      MessageType: 'RAW',
      SigningAlgorithm: SIGNING_ALGORITHM,
    });
    return { keyId: out.KeyId, signature: Buffer.from(out.Signature, 'base64') };
  }

  /** `kms:GetPublicKey`: the DER (SubjectPublicKeyInfo) public key and the key's ARN. */
  async getPublicKey(keyId: string): Promise<{ keyId: string; publicKey: Buffer; keySpec: string }> {
    const out = await this.call<{ KeyId: string; PublicKey: string; KeySpec?: string; CustomerMasterKeySpec?: string }>(
      'GetPublicKey',
      { KeyId: keyId },
    );
    // KeySpec is the current name; moto (and older answers) give only CustomerMasterKeySpec.
    const keySpec = out.KeySpec ?? out.CustomerMasterKeySpec ?? 'unknown';
    return { keyId: out.KeyId, publicKey: Buffer.from(out.PublicKey, 'base64'), keySpec };
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
