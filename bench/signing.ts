/**
 * The cost of signing audit records (#13 item 3), on the emulator.
 *
 *   npx tsx bench/signing.ts [sizes=1,10,100] [repeats=3]
 *
 * For batches of N records: the wall time of one `publish` through the real publisher to the emulator
 * bus, without a signer and with the KMS signer (moto's Sign on an ECC_NIST_P256 key), medians of
 * interleaved repeats, and their ratio (noisy: moto's PutEvents dominates and varies with load); the
 * signing step alone (digests, Merkle tree, proofs and the one Sign call: what signing adds to a
 * publish) and the ratio it implies; the KMS calls per publish (always 1); the in-process work with a
 * local key instead of KMS; and the bytes the signature adds to each record. Prints JSON on stdout; progress on stderr. On AWS add KMS's own Sign latency (a
 * network round trip) once per publish in place of moto's.
 */

import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { createAuditBus } from '../cli/audit-bus.js';
import { createSigningKey } from '../cli/demo/evidence.js';
import { startEmulator } from '../cli/emulator.js';
import { EventBridgeAuditPublisher } from '../controllers/core/audit.js';
import { AwsClients } from '../controllers/core/aws.js';
import { KmsAuditSigner } from '../controllers/core/kms.js';
import { createLogger } from '../controllers/core/log.js';
import { type AuditRecord, SCHEMA_VERSION } from '../controllers/core/record.js';
import { type AuditSigner, signRecords } from '../controllers/core/signing.js';

const REGION = 'us-east-1';
const BUS = 'logwarden-audit';
const CREDENTIALS = { accessKeyId: 'bench', secretAccessKey: 'bench' };
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** A remediated record of typical size. */
function sample(i: number): AuditRecord {
  return {
    schemaVersion: SCHEMA_VERSION,
    id: randomUUID(),
    time: new Date().toISOString(),
    guardrail: 'bucket-logging',
    account: '123456789012',
    region: REGION,
    resource: { type: 'AWS::S3::Bucket', id: `bucket-${i}`, arn: `arn:aws:s3:::bucket-${i}` },
    trigger: { type: 'sweep', eventId: null, eventName: 'Sweep', actor: 'aws.events' },
    outcome: 'remediated',
    reason: 'server access logging was off',
    mode: 'remediate',
    drift: [{ property: 'loggingEnabled', observed: null, desired: { targetBucket: 'logs', targetPrefix: `bucket-${i}/` } }],
    actions: [{ api: 's3:PutBucketLogging', ok: true, error: null }],
    verified: true,
    retryable: false,
    durationMs: 42,
    runbook: 'runbooks/bucket-logging.md',
  };
}

/** Median publish times without and with signing, the two interleaved so that load drifts hit both alike. */
async function timePublish(
  unsigned: EventBridgeAuditPublisher,
  signed: EventBridgeAuditPublisher,
  n: number,
  repeats: number,
): Promise<{ without: number; with: number }> {
  const without: number[] = [];
  const withSigning: number[] = [];
  for (let r = 0; r < repeats; r++) {
    for (const [publisher, times] of [
      [unsigned, without],
      [signed, withSigning],
    ] as const) {
      const records = Array.from({ length: n }, (_, i) => sample(i));
      const started = performance.now();
      await publisher.publish(records);
      times.push(performance.now() - started);
    }
  }
  return { without: median(without), with: median(withSigning) };
}

/** What signing adds to a publish: digests, tree, proofs and the one KMS Sign call (on the emulator). */
async function signingStepMs(signer: AuditSigner, n: number, repeats: number): Promise<number> {
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const records = Array.from({ length: n }, (_, i) => sample(i));
    const started = performance.now();
    await signRecords(records, signer);
    times.push(performance.now() - started);
  }
  return median(times);
}

/** Digests, tree and proofs for N records, with a local key: logwarden's own work, no network. */
async function localSigningMs(n: number, repeats: number): Promise<number> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signer: AuditSigner = {
    keyId: 'local',
    sign: async (message) => ({ keyId: 'local', signature: sign('sha256', message, { key: privateKey, dsaEncoding: 'der' }) }),
  };
  return signingStepMs(signer, n, repeats);
}

async function main(): Promise<void> {
  const sizes = (process.argv[2] ?? '1,10,100').split(',').map(Number);
  const repeats = Number(process.argv[3] ?? 3);
  process.env.LOGWARDEN_LOG_LEVEL ??= 'CRITICAL';
  const emulator = await startEmulator();
  try {
    const kmsCalls: string[] = [];
    const clients = new AwsClients({
      endpoint: emulator.endpoint,
      credentials: CREDENTIALS,
      maxAttempts: 1,
      recorder: ({ action }) => {
        if (action.startsWith('kms:')) kmsCalls.push(action);
      },
    });
    await createAuditBus(clients, REGION, BUS);
    const keyArn = await createSigningKey(clients, REGION);
    const logger = createLogger('bench-signing');
    const options = { clients, eventBus: BUS, region: REGION, logger, sleep: async () => {} };
    const unsigned = new EventBridgeAuditPublisher(options);
    const kmsSigner = new KmsAuditSigner(clients, keyArn, REGION);
    const signed = new EventBridgeAuditPublisher({ ...options, signer: kmsSigner });
    // Warm both paths (connections, moto's first calls).
    await unsigned.publish([sample(0)]);
    await signed.publish([sample(0)]);
    const batches = [];
    for (const n of sizes) {
      process.stderr.write(`batch of ${n} records...\n`);
      const before = kmsCalls.length;
      const publish = await timePublish(unsigned, signed, n, repeats);
      const kmsCallsPerPublish = (kmsCalls.length - before) / repeats;
      const signingMs = await signingStepMs(kmsSigner, n, repeats);
      const { records: withIntegrity } = await signRecords(
        Array.from({ length: n }, (_, i) => sample(i)),
        kmsSigner,
      );
      batches.push({
        records: n,
        publishMsWithout: round(publish.without),
        publishMsWith: round(publish.with),
        ratio: round(publish.with / publish.without),
        kmsCallsPerPublish,
        signingStepMs: round(signingMs),
        signingStepRatio: round((publish.without + signingMs) / publish.without),
        localSigningMs: round(await localSigningMs(n, repeats), 3),
        integrityBytesPerRecord: Math.max(...withIntegrity.map((r) => `,"integrity":${JSON.stringify(r.integrity)}`.length)),
      });
    }
    process.stdout.write(`${JSON.stringify({ repeats, batches }, null, 2)}\n`);
  } finally {
    await emulator.stop();
  }
}

await main();
