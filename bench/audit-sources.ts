/**
 * API calls and time to read audit records from each AWS source, on the emulator.
 *
 *   npx tsx bench/audit-sources.ts [records=5000]
 *
 * Starts moto, writes N EventBridge events (the record in `detail`) to a log group (one stream),
 * a 4-shard Kinesis stream and an S3 archive of 24 hourly gzip objects, then reads each through its
 * audit source with a call recorder. Prints JSON on stdout: per source, records read, milliseconds
 * and calls by IAM action; for the archive also a read with --since (the last 6 of the 24 hours) that
 * prunes 18 of 24 partitions.
 *
 * Emulator notes: moto returns up to 10,000 events per FilterLogEvents page (AWS: up to 10,000
 * events or 1 MB, so ceil(bytes / 1 MB) pages or more), and answers GetRecords at the tip of a shard
 * with MillisBehindLatest 0 at once (AWS may answer empty pages first, see the mocked unit test).
 */
import { gzipSync } from 'node:zlib';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { CreateStreamCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { readAudit } from '../cli/audit/read.js';
import { KinesisClient, KinesisSource } from '../cli/audit/sources/kinesis.js';
import { LogGroupSource } from '../cli/audit/sources/logs.js';
import { ArchiveSource } from '../cli/audit/sources/s3.js';
import type { AuditSource, ReadWindow } from '../cli/audit/sources/types.js';
import { startEmulator } from '../cli/emulator.js';
import { AwsClients } from '../controllers/core/aws.js';
import { AUDIT_DETAIL_TYPE, AUDIT_SOURCE, type AuditRecord, SCHEMA_VERSION } from '../controllers/core/record.js';

const N = Number(process.argv[2] ?? 5000);
const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const log = (s: string) => process.stderr.write(`${s}\n`);

const HOUR = 3_600_000;
/** Records spread evenly over the 24 whole hours before the current one. */
const start = Math.floor(Date.now() / HOUR) * HOUR - 24 * HOUR;
const step = (24 * HOUR) / N;
const timeOf = (i: number) => start + Math.floor(i * step);
function event(i: number): string {
  const time = new Date(timeOf(i)).toISOString();
  const r: AuditRecord = {
    schemaVersion: SCHEMA_VERSION,
    id: `r-${i}`,
    time,
    guardrail: 'cloudtrail',
    account: '123456789012',
    region: REGION,
    resource: { type: 'AWS::CloudTrail::Trail', id: `trail-${i % 50}`, arn: null },
    trigger: { type: 'cloudtrail', eventId: `e-${i}`, eventName: 'StopLogging', actor: 'arn:aws:iam::123456789012:user/mallory' },
    outcome: 'remediated',
    reason: 'restored isLogging',
    mode: 'remediate',
    drift: [{ property: 'isLogging', observed: false, desired: true }],
    actions: [{ api: 'cloudtrail:StartLogging', ok: true, error: null }],
    verified: true,
    retryable: false,
    durationMs: 120,
    runbook: 'runbooks/cloudtrail.md',
  };
  return JSON.stringify({ version: '0', id: `ev-${i}`, 'detail-type': AUDIT_DETAIL_TYPE, source: AUDIT_SOURCE, detail: r });
}

const emulator = await startEmulator();
try {
  const calls: string[] = [];
  const reader = new AwsClients({
    endpoint: emulator.endpoint,
    credentials: CREDENTIALS,
    maxAttempts: 1,
    recorder: (c) => calls.push(c.action),
  });
  const setup = new AwsClients({ endpoint: emulator.endpoint, credentials: CREDENTIALS, maxAttempts: 1 });
  const measure = async (source: AuditSource, window: ReadWindow = {}) => {
    calls.length = 0;
    const t = performance.now();
    const r = await readAudit(source, window);
    const callsByAction: Record<string, number> = {};
    for (const a of calls) callsByAction[a] = (callsByAction[a] ?? 0) + 1;
    return {
      read: r.integrity.read,
      selected: r.selected,
      ms: Math.round(performance.now() - t),
      calls: calls.length,
      callsByAction,
    };
  };

  log(`bench: writing ${N} events to a log group, a stream and an archive`);
  const logs = setup.get(CloudWatchLogsClient, REGION);
  await logs.send(new CreateLogGroupCommand({ logGroupName: '/aws/events/logwarden-audit' }));
  await logs.send(new CreateLogStreamCommand({ logGroupName: '/aws/events/logwarden-audit', logStreamName: 's' }));
  for (let b = 0; b < N; b += 1000) {
    const n = Math.min(1000, N - b);
    await logs.send(
      new PutLogEventsCommand({
        logGroupName: '/aws/events/logwarden-audit',
        logStreamName: 's',
        logEvents: Array.from({ length: n }, (_, j) => ({ timestamp: timeOf(b + j), message: event(b + j) })),
      }),
    );
  }
  const kinesis = setup.get(KinesisClient, REGION);
  await kinesis.send(new CreateStreamCommand({ StreamName: 'logwarden-audit', ShardCount: 4 }));
  const enc = new TextEncoder();
  for (let b = 0; b < N; b += 500) {
    const n = Math.min(500, N - b);
    await kinesis.send(
      new PutRecordsCommand({
        StreamName: 'logwarden-audit',
        Records: Array.from({ length: n }, (_, j) => ({ Data: enc.encode(event(b + j)), PartitionKey: `p${b + j}` })),
      }),
    );
  }
  const s3 = setup.get(S3Client, REGION);
  await s3.send(new CreateBucketCommand({ Bucket: 'logwarden-audit-archive' }));
  // One object per hour holding the records of that hour (Firehose partitions by arrival time).
  const byHour: string[][] = Array.from({ length: 24 }, () => []);
  for (let i = 0; i < N; i++) byHour[Math.floor((timeOf(i) - start) / HOUR)]?.push(event(i));
  const hourKey = (t: number) => {
    const d = new Date(t).toISOString();
    return `year=${d.slice(0, 4)}/month=${d.slice(5, 7)}/day=${d.slice(8, 10)}/hour=${d.slice(11, 13)}`;
  };
  for (let h = 0; h < 24; h++) {
    const lines = byHour[h] as string[];
    await s3.send(
      new PutObjectCommand({
        Bucket: 'logwarden-audit-archive',
        Key: `audit/${hourKey(start + h * HOUR)}/logwarden-audit-${h}.gz`,
        Body: gzipSync(`${lines.join('\n')}\n`),
      }),
    );
  }

  const result = {
    records: N,
    logGroup: await measure(new LogGroupSource(reader, REGION, '/aws/events/logwarden-audit')),
    kinesis4Shards: await measure(new KinesisSource(reader, REGION, 'logwarden-audit')),
    archive24Objects: await measure(new ArchiveSource(reader, REGION, 's3://logwarden-audit-archive/audit/')),
    archiveSince18h: await measure(new ArchiveSource(reader, REGION, 's3://logwarden-audit-archive/audit/'), {
      since: new Date(start + 18 * HOUR),
    }),
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  await emulator.stop();
}
