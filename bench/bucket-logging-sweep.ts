/**
 * Sweep figures for the bucket-logging guardrail on the emulator.
 *
 *   npx tsx bench/bucket-logging-sweep.ts [buckets=1000] [nonCompliantPercent=10] [concurrency=8]
 *
 * Starts moto, creates the log bucket and N buckets (the given share without logging, the rest
 * compliant), runs one sweep of the region through the controller with a call recorder, and prints
 * JSON on stdout: {resources, seconds, apiCalls, callsByAction, ...}. Progress goes to stderr.
 *
 * moto's ListBuckets ignores ContinuationToken (it cuts the list at MaxBuckets and returns no
 * token), so the bench sets the policy's sweep.pageSize to 10000 to list every bucket in one call;
 * on AWS the default page size of 1000 makes ceil(N/1000) ListBuckets calls. A full page of 10,000
 * without a token is reported as a possibly incomplete listing, so on the emulator at most 9,999
 * buckets (the N given plus the log bucket) can be swept for sure: use N = 9998.
 */
import { PutBucketLoggingCommand, S3Client } from '@aws-sdk/client-s3';
import { startEmulator } from '../cli/emulator.js';
import { createBucket, createLogBucket } from '../controllers/bucket-logging/demo.js';
import { logBucketName } from '../controllers/bucket-logging/events.js';
import { bucketLogging } from '../controllers/bucket-logging/index.js';
import { MemoryAuditSink } from '../controllers/core/audit.js';
import { AwsClients } from '../controllers/core/aws.js';
import { mapLimit } from '../controllers/core/concurrency.js';
import { ownRoleArnTemplate } from '../controllers/core/identity.js';
import { createLogger } from '../controllers/core/log.js';
import { parsePolicy } from '../controllers/core/policy.js';
import { createRuntime, outcomeCounts } from '../controllers/core/runtime.js';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

function intArg(index: number, fallback: number, name: string): number {
  const raw = process.argv[index];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return n;
}

async function main(): Promise<void> {
  const buckets = intArg(2, 1000, 'buckets');
  const nonCompliantPercent = Math.min(100, intArg(3, 10, 'nonCompliantPercent'));
  const concurrency = Math.max(1, Math.min(64, intArg(4, 8, 'concurrency')));
  process.env.LOGWARDEN_LOG_LEVEL ??= 'CRITICAL';
  const emulator = await startEmulator();
  try {
    const setup = new AwsClients({ endpoint: emulator.endpoint, credentials: CREDENTIALS, maxAttempts: 1 });
    const section = {
      mode: 'remediate',
      logBucket: { prefix: 's3-access-logs' },
      // moto does not report TargetObjectKeyFormat back: the simple format keeps verification meaningful.
      targetObjectKeyFormat: { simplePrefix: {} },
      sweep: { pageSize: 10_000 },
    };
    const policy = parsePolicy(
      {
        version: 1,
        controller: { regions: [REGION], ownRoleArns: [ownRoleArnTemplate('bucket-logging')], concurrency },
        audit: { eventBus: 'logwarden-audit' },
        guardrails: { 'bucket-logging': section },
      },
      [bucketLogging],
    );
    const logBucket = logBucketName(bucketLogging.policySchema.parse(section), ACCOUNT, REGION);
    await createLogBucket(setup, logBucket, ACCOUNT, REGION);
    const nonCompliant = Math.round((buckets * nonCompliantPercent) / 100);
    const names = Array.from({ length: buckets }, (_, i) => `bench-bucket-${String(i).padStart(5, '0')}`);
    const s3 = setup.get(S3Client, REGION);
    const t0 = Date.now();
    await mapLimit(names, 16, async (name) => {
      await createBucket(setup, name, REGION);
      const index = Number(name.slice(-5));
      if (index >= nonCompliant) {
        await s3.send(
          new PutBucketLoggingCommand({
            Bucket: name,
            BucketLoggingStatus: { LoggingEnabled: { TargetBucket: logBucket, TargetPrefix: `${name}/` } },
          }),
        );
      }
    });
    process.stderr.write(
      `created ${buckets} buckets (${nonCompliant} without logging) in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`,
    );

    const callsByAction: Record<string, number> = {};
    let apiCalls = 0;
    const clients = new AwsClients({
      endpoint: emulator.endpoint,
      credentials: CREDENTIALS,
      maxAttempts: 1,
      recorder: ({ action }) => {
        apiCalls++;
        callsByAction[action] = (callsByAction[action] ?? 0) + 1;
      },
    });
    const sink = new MemoryAuditSink();
    const runtime = createRuntime({
      guardrails: [bucketLogging],
      policy,
      account: ACCOUNT,
      region: REGION,
      logger: createLogger('logwarden-bench'),
      clients,
      sink,
    });
    const started = process.hrtime.bigint();
    const records = await runtime.controller.sweep({
      trigger: { type: 'sweep', eventId: null, eventName: 'ScheduledSweep', actor: 'bench' },
      guardrails: ['bucket-logging'],
      regions: [REGION],
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const result = {
      resources: buckets + 1,
      buckets,
      nonCompliant,
      concurrency,
      seconds: Number(seconds.toFixed(2)),
      apiCalls,
      callsByAction: Object.fromEntries(Object.entries(callsByAction).sort()),
      outcomes: outcomeCounts(records),
      // One record per bucket swept; fewer than `resources` means the listing was cut (see above).
      auditRecords: records.length,
      // Not part of the sweep timing: the audit records still have to be published, 10 per PutEvents call.
      putEventsCallsToPublish: Math.ceil(records.length / 10),
      listBucketsCallsOnAwsAtDefaultPageSize: Math.ceil((buckets + 1) / 1000),
      emulator: 'moto 5.2.5 server mode, maxAttempts 1',
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    if (records.length < buckets + 1) {
      process.stderr.write(
        `only ${records.length} of ${buckets + 1} buckets were listed (moto cuts ListBuckets at MaxBuckets)\n`,
      );
      process.exitCode = 1;
    }
    const failed = records.filter((r) => r.outcome === 'failed');
    if (failed.length > 0) {
      process.stderr.write(`${failed.length} failed, e.g. ${failed[0]?.resource.id}: ${failed[0]?.reason}\n`);
      process.exitCode = 1;
    }
  } finally {
    await emulator.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 2;
});
