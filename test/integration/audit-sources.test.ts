import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { CreateEventBusCommand, EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateStreamCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditSourceError } from '../../cli/audit/errors.js';
// The SDK's Kinesis client speaks HTTP/2, the emulator HTTP/1.1 only: the reader's own client does both jobs.
import { KinesisClient } from '../../cli/audit/sources/kinesis.js';
import type { AuditSummary } from '../../cli/audit/summary.js';
import { runDemo } from '../../cli/demo/index.js';
import { demo as cloudtrailDemo } from '../../controllers/cloudtrail/demo.js';
import { EventBridgeAuditPublisher } from '../../controllers/core/audit.js';
import type { AwsClients } from '../../controllers/core/aws.js';
import { AUDIT_DETAIL_TYPE, AUDIT_SOURCE, type AuditRecord } from '../../controllers/core/record.js';
import { jsonRecords, runAudit } from '../helpers/audit-cli.js';
import { ACCOUNT, AUDIT_BUS, quietLogger, REGION, useEmulator } from '../helpers/emulator.js';
import { record } from '../helpers/records.js';

const emu = useEmulator();
const LOG_GROUP = '/aws/events/logwarden-audit';
const STREAM = 'logwarden-audit';
const BUCKET = 'logwarden-audit-archive';

/** An EventBridge event as the bus delivers it to its targets, the record in `detail`. */
const eventOf = (r: AuditRecord) => ({
  version: '0',
  id: randomUUID(),
  'detail-type': AUDIT_DETAIL_TYPE,
  source: AUDIT_SOURCE,
  account: r.account,
  time: r.time.replace(/\.\d+Z$/, 'Z'),
  region: r.region,
  resources: [],
  detail: r,
});

const minutesAgo = (n: number) => new Date(Date.now() - n * 60_000).toISOString();

const run = (args: string[], clients?: AwsClients) => runAudit(args, { clients });
const lines = jsonRecords;

// The AWS sources use the SDK's standard configuration, as they do against AWS.
const saved = { endpoint: process.env.AWS_ENDPOINT_URL, region: process.env.AWS_REGION };
beforeEach(() => {
  process.env.AWS_ENDPOINT_URL = emu.endpoint;
  process.env.AWS_REGION = REGION;
});
afterEach(() => {
  for (const [k, v] of [
    ['AWS_ENDPOINT_URL', saved.endpoint],
    ['AWS_REGION', saved.region],
  ] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe('verified origin: a forged detail.account is flagged in every source (#13)', () => {
  // The envelope's account is set by AWS (by the emulator here, to the caller's account); the record's
  // own `account` is whatever the publisher wrote.
  const forged = () => record({ account: '999999999999', outcome: 'remediated', time: minutesAgo(5) });
  const honest = () => record({ account: ACCOUNT, outcome: 'remediated', time: minutesAgo(5) });
  const forgedEvent = (r: AuditRecord) => ({ ...eventOf(r), account: ACCOUNT });
  const expectFlagged = (out: string, forgedId: string) => {
    const s = JSON.parse(out) as AuditSummary;
    expect(s.selected).toBe(1);
    expect(s.integrity.byKind['origin-mismatch']).toBe(1);
    const problem = s.integrity.problems.find((p) => p.kind === 'origin-mismatch');
    expect(problem?.message).toContain(
      `the record says account "999999999999" but its EventBridge envelope (set by AWS) says ${ACCOUNT}`,
    );
    expect(out).not.toContain(`"id":"${forgedId}"`);
  };

  it('CloudWatch Logs: the envelope as EventBridge writes it to the group', async () => {
    const logs = emu.clients().get(CloudWatchLogsClient, REGION);
    const group = '/logwarden/forged';
    await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: 'rule' }));
    // Emulator gap: moto's EventBridge → CloudWatch Logs delivery writes the envelope without `account`
    // (AWS always sets it), so a bus-delivered record would only read as "not verified". The events
    // are written here as AWS delivers them, with the envelope's account.
    const [bad, good] = [forged(), honest()];
    await logs.send(
      new PutLogEventsCommand({
        logGroupName: group,
        logStreamName: 'rule',
        logEvents: [bad, good].map((r) => ({ timestamp: Date.now(), message: JSON.stringify(forgedEvent(r)) })),
      }),
    );
    expectFlagged((await run([`logs://${group}`, '--summary', '--json'])).out, bad.id);
  });

  it('a record without an envelope (an export, an old file) is kept and counted as not verified', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-origin-'));
    const file = join(dir, 'old.jsonl');
    writeFileSync(file, `${JSON.stringify(honest())}\n`);
    const s = JSON.parse((await run(['--file', file, '--summary', '--json'])).out) as AuditSummary;
    expect(s.selected).toBe(1);
    expect(s.integrity).toMatchObject({ rejected: 0, unverified: 1 });
    const text = (await run(['--file', file, '--summary'])).out;
    expect(text).toContain('1 selected record(s) have no EventBridge envelope');
  });

  it('Kinesis and the S3 archive: the envelope as the pipeline keeps it', async () => {
    const clients = emu.clients();
    const [bad, good] = [forged(), honest()];
    const kinesis = clients.get(KinesisClient, REGION);
    await kinesis.send(new CreateStreamCommand({ StreamName: 'forged', ShardCount: 1 }));
    const enc = new TextEncoder();
    await kinesis.send(
      new PutRecordsCommand({
        StreamName: 'forged',
        Records: [bad, good].map((r) => ({ Data: enc.encode(JSON.stringify(forgedEvent(r))), PartitionKey: 'p' })),
      }),
    );
    expectFlagged((await run(['kinesis://forged', '--summary', '--json'])).out, bad.id);
    const s3 = clients.get(S3Client, REGION);
    await s3.send(new CreateBucketCommand({ Bucket: 'forged-archive' }));
    const body = gzipSync(`${[bad, good].map((r) => JSON.stringify(forgedEvent(r))).join('\n')}\n`);
    await s3.send(new PutObjectCommand({ Bucket: 'forged-archive', Key: 'audit/x.gz', Body: body }));
    expectFlagged((await run(['s3://forged-archive/audit/', '--summary', '--json'], clients)).out, bad.id);
  });
});

describe('audit source: the central CloudWatch Logs group (emulator)', () => {
  it('reads records published to the audit bus and delivered by an EventBridge rule to the log group', async () => {
    const clients = emu.clients();
    const events = clients.get(EventBridgeClient, REGION);
    const logs = clients.get(CloudWatchLogsClient, REGION);
    await events.send(new CreateEventBusCommand({ Name: AUDIT_BUS }));
    await logs.send(new CreateLogGroupCommand({ logGroupName: LOG_GROUP }));
    await events.send(
      new PutRuleCommand({
        Name: 'audit-to-logs',
        EventBusName: AUDIT_BUS,
        EventPattern: JSON.stringify({ source: [AUDIT_SOURCE] }),
      }),
    );
    await events.send(
      new PutTargetsCommand({
        Rule: 'audit-to-logs',
        EventBusName: AUDIT_BUS,
        Targets: [{ Id: 'central-log-group', Arn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${LOG_GROUP}` }],
      }),
    );
    const published = [
      record({ time: minutesAgo(30), outcome: 'remediated', guardrail: 'cloudtrail' }),
      record({
        time: minutesAgo(20),
        outcome: 'failed',
        guardrail: 'flow-logs',
        resource: { type: 'AWS::EC2::VPC', id: 'vpc-1', arn: null },
      }),
      // Old record delivered late: the log event's timestamp is recent, the record's time is not.
      record({ time: new Date(Date.now() - 30 * 86_400_000).toISOString(), outcome: 'remediated' }),
    ];
    await new EventBridgeAuditPublisher({ clients, eventBus: AUDIT_BUS, region: REGION, logger: quietLogger() }).publish(
      published,
    );
    // Something else lands in the group too: a line that is not JSON.
    await logs.send(new CreateLogStreamCommand({ logGroupName: LOG_GROUP, logStreamName: 'stray' }));
    await logs.send(
      new PutLogEventsCommand({
        logGroupName: LOG_GROUP,
        logStreamName: 'stray',
        logEvents: [{ timestamp: Date.now(), message: 'not json' }],
      }),
    );

    const all = await run([`logs://${LOG_GROUP}`, '--json']);
    expect(
      lines(all.out)
        .map((r) => r.id)
        .sort(),
    ).toEqual(published.map((r) => r.id).sort());
    expect(all.err).toMatch(new RegExp(`logs://${LOG_GROUP}/stray#\\S+\\s+malformed-json`));
    expect(all.code).toBe(1);

    const recent = await run(['--log-group', LOG_GROUP, '--json', '--since', '7d', '-o', 'remediated']);
    expect(lines(recent.out).map((r) => r.id)).toEqual([published[0]?.id]);
  });

  it('a missing log group is an error, not an empty result', async () => {
    await expect(run(['logs://no-such-group'])).rejects.toBeInstanceOf(AuditSourceError);
  });
});

describe('audit source: the central Kinesis stream (emulator)', () => {
  // The emulator's EventBridge does not deliver to Kinesis targets: the test writes the events as
  // the rule would (one EventBridge event JSON per stream record).
  it('reads every shard from the trim horizon; rejected records are located by shard and sequence number', async () => {
    const clients = emu.clients();
    const kinesis = clients.get(KinesisClient, REGION);
    await kinesis.send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: 3 }));
    const records = Array.from({ length: 40 }, (_, i) =>
      record({
        time: minutesAgo(60.5 - i), // never on a whole minute: no record sits on the --since boundary
        account: i % 2 ? '111111111111' : '222222222222',
        outcome: i % 10 === 0 ? 'failed' : 'remediated',
        resource: { type: 'AWS::S3::Bucket', id: `bucket-${i % 7}`, arn: null },
        guardrail: 'bucket-logging',
      }),
    );
    const enc = new TextEncoder();
    await kinesis.send(
      new PutRecordsCommand({
        StreamName: STREAM,
        Records: [
          ...records.map((r) => ({ Data: enc.encode(JSON.stringify(eventOf(r))), PartitionKey: r.resource.id })),
          {
            Data: enc.encode(JSON.stringify(eventOf({ ...records[0], schemaVersion: '2.0' } as unknown as AuditRecord))),
            PartitionKey: 'x',
          },
        ],
      }),
    );

    const res = await run([`kinesis://${STREAM}`, '--summary', '--json']);
    const s = JSON.parse(res.out) as AuditSummary;
    expect(s.selected).toBe(40);
    expect(s.byOutcome).toMatchObject({ remediated: 36, failed: 4 });
    expect(s.integrity).toMatchObject({ read: 41, rejected: 1, byKind: { 'unknown-schema-version': 1 } });
    expect(s.integrity.problems[0]?.location).toMatch(new RegExp(`^kinesis://${STREAM}/shardId-\\d+#\\d+$`));

    // --since reads from AT_TIMESTAMP; the filter keeps the exact window.
    const lastHalf = await run(['--stream', STREAM, '--json', '--since', '30m', '--account', '111111111111']);
    const got = lines(lastHalf.out);
    const want = records.filter((_r, i) => i % 2 === 1 && i >= 31);
    expect(got.map((r) => r.id)).toEqual(want.map((r) => r.id));
    expect(got.every((r) => r.account === '111111111111')).toBe(true);
  });

  it('a missing stream is an error', async () => {
    await expect(run(['kinesis://no-such-stream'])).rejects.toBeInstanceOf(AuditSourceError);
  });
});

describe('audit source: the S3 archive (emulator)', () => {
  // Firehose is not emulated: the test writes objects as Firehose does (gzip, newline-delimited
  // EventBridge events, date-partitioned keys).
  const hourKey = (iso: string, n: number) => {
    const [y, mo, d, h] = [iso.slice(0, 4), iso.slice(5, 7), iso.slice(8, 10), iso.slice(11, 13)];
    return `audit/year=${y}/month=${mo}/day=${d}/hour=${h}/logwarden-audit-1-${y}-${mo}-${d}-${h}-00-00-${n}.gz`;
  };

  it('reads gzip objects under date partitions, skips partitions outside --since, lists corrupt lines', async () => {
    const calls: string[] = [];
    const clients = emu.clients(({ action }) => calls.push(action));
    const s3 = clients.get(S3Client, REGION);
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const put = (Key: string, Body: Uint8Array | string) => s3.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body }));
    const old = [record({ time: '2026-10-01T08:10:00.000Z' }), record({ time: '2026-10-01T08:20:00.000Z', outcome: 'failed' })];
    const recent = [
      record({ time: '2026-11-26T14:01:00.000Z' }),
      record({ time: '2026-11-26T14:02:00.000Z', outcome: 'escalated' }),
      record({ time: '2026-11-26T15:30:00.000Z' }),
    ];
    const gz = (rs: unknown[], extra = '') =>
      gzipSync(`${rs.map((r) => JSON.stringify(eventOf(r as AuditRecord))).join('\n')}\n${extra}`);
    await put(hourKey(old[0]?.time as string, 1), gz(old));
    await put(hourKey(recent[0]?.time as string, 1), gz(recent.slice(0, 2), '{"truncated\n'));
    await put(hourKey(recent[2]?.time as string, 1), gz(recent.slice(2)));
    // Firehose without a delimiter concatenates events: read them too.
    await put(
      'audit/year=2026/month=11/day=26/hour=16/concatenated.gz',
      gzipSync(recent.map((r) => JSON.stringify(eventOf(r))).join('')),
    );
    await put('audit/manual/README.txt', 'copied by hand\n');

    const all = JSON.parse((await run([`s3://${BUCKET}/audit/`, '--summary', '--json'], clients)).out) as AuditSummary;
    expect(all.selected).toBe(2 + 3 + 3);
    expect(all.integrity).toMatchObject({ read: 10, rejected: 2, byKind: { 'malformed-json': 2 } });
    expect(all.integrity.problems.map((p) => p.location)).toEqual([
      `s3://${BUCKET}/audit/manual/README.txt:1`,
      `s3://${BUCKET}/${hourKey(recent[0]?.time as string, 1)}:3`,
    ]);

    calls.length = 0;
    const since = await run(
      ['--archive', `s3://${BUCKET}/audit/year=2026/`, '--json', '--since', '2026-11-26T14:00:00Z'],
      clients,
    );
    const ids = lines(since.out).map((r) => r.id);
    expect(ids).toHaveLength(6);
    expect(ids).not.toContain(old[0]?.id);
    // The October partition was listed but never downloaded.
    expect(calls.filter((c) => c === 's3:GetObject')).toHaveLength(3);
  });

  it('a corrupt gzip object or a missing bucket is an error naming the source', async () => {
    const s3 = emu.clients().get(S3Client, REGION);
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await expect(run([`s3://no-such-bucket/audit/`])).rejects.toBeInstanceOf(AuditSourceError);
    await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'audit/x.gz',
        Body: Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.from('junk')]),
      }),
    );
    await expect(run([`s3://${BUCKET}/audit/`])).rejects.toThrow(/x\.gz is not valid gzip/);
  });
});

describe('the demo saves its records for logwarden audit', () => {
  it('logwarden demo → logwarden audit: every record valid, the remediations listed', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'logwarden-demo-')), 'audit.jsonl');
    const ok = await runDemo({ json: true, out, write: () => undefined, demos: [cloudtrailDemo] });
    expect(ok).toBe(true);
    const saved = readFileSync(out, 'utf8').trim().split('\n');
    const s = JSON.parse((await run([out, '--summary', '--json'])).out) as AuditSummary;
    expect(s.integrity).toMatchObject({ read: saved.length, rejected: 0 });
    expect(s.selected).toBe(saved.length);
    expect(s.byOutcome.remediated).toBeGreaterThanOrEqual(cloudtrailDemo.scenarios.length);
    expect(s.accountsWithFailures).toEqual([]);
    // Saved as the bus delivered them: signed. The demo's `ok` also required `--verify` on the tampered
    // copy to find exactly one altered and one invalid record (cli/demo/evidence.ts).
    expect(saved.map((line) => (JSON.parse(line) as AuditRecord).integrity?.status)).toEqual(saved.map(() => 'signed'));
    const tampered = readFileSync(out.replace(/\.jsonl$/, '.tampered.jsonl'), 'utf8')
      .trim()
      .split('\n');
    expect(tampered).toHaveLength(saved.length + 2);
  });
});
