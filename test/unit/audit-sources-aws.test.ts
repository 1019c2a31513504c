import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, type Shard } from '@aws-sdk/client-kinesis';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditSourceError } from '../../cli/audit/errors.js';
import type { RawItem } from '../../cli/audit/parse.js';
import { KinesisClient, KinesisSource } from '../../cli/audit/sources/kinesis.js';
import { LogGroupSource } from '../../cli/audit/sources/logs.js';
import { ArchiveSource } from '../../cli/audit/sources/s3.js';
import type { ReadWindow } from '../../cli/audit/sources/types.js';
import { AwsClients } from '../../controllers/core/aws.js';

// Paths the emulator does not model: pagination tokens it never hands out at these sizes, empty
// GetRecords pages while a shard is still behind, throttling and access-denied answers.
const clients = () => new AwsClients({ credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 });
const enc = new TextEncoder();
const shard = (ShardId: string) => ({ ShardId }) as Shard;

async function all(source: { items(w: ReadWindow): AsyncIterable<RawItem> }, window: ReadWindow = {}): Promise<RawItem[]> {
  const out: RawItem[] = [];
  for await (const i of source.items(window)) out.push(i);
  return out;
}

const logsMock = mockClient(CloudWatchLogsClient);
const kinesisMock = mockClient(KinesisClient);
const s3Mock = mockClient(S3Client);
afterEach(() => {
  logsMock.reset();
  kinesisMock.reset();
  s3Mock.reset();
});

describe('CloudWatch Logs source (mocked)', () => {
  it('follows nextToken across pages, including empty pages, and passes the window with slack', async () => {
    logsMock
      .on(FilterLogEventsCommand)
      .resolvesOnce({ events: [{ message: '{"a":1}', logStreamName: 's', eventId: '1' }], nextToken: 't1' })
      .resolvesOnce({ events: [], nextToken: 't2' })
      .resolvesOnce({ events: [{ message: '{"a":2}', logStreamName: 's', eventId: '2' }] });
    const since = new Date('2026-11-26T10:00:00Z');
    const until = new Date('2026-11-26T11:00:00Z');
    const items = await all(new LogGroupSource(clients(), 'us-east-1', '/audit'), { since, until });
    expect(items.map((i) => i.text)).toEqual(['{"a":1}', '{"a":2}']);
    const calls = logsMock.commandCalls(FilterLogEventsCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.nextToken)).toEqual([undefined, 't1', 't2']);
    expect(calls[0]).toMatchObject({
      logGroupName: '/audit',
      startTime: since.getTime() - 300_000,
      endTime: until.getTime() + 300_000,
    });
  });

  it('access denied is an AuditSourceError naming the source and the code', async () => {
    logsMock.on(FilterLogEventsCommand).rejects(Object.assign(new Error('not allowed'), { name: 'AccessDeniedException' }));
    await expect(all(new LogGroupSource(clients(), 'us-east-1', '/audit'))).rejects.toThrow(
      /logs:\/\/\/audit: FilterLogEvents failed: AccessDeniedException/,
    );
  });
});

describe('Kinesis client of the audit reader', () => {
  it('speaks HTTP/1.1 (the SDK default for Kinesis is HTTP/2), keeping a handler it is given', async () => {
    const plain = new KinesisClient({ region: 'us-east-1', requestHandler: { requestTimeout: 5000 } });
    expect(plain.config.requestHandler).toBeInstanceOf(NodeHttpHandler);
    // The handler resolves its options lazily (a field the SDK does not type as public).
    const resolved = await (plain.config.requestHandler as unknown as { configProvider: Promise<{ requestTimeout?: number }> })
      .configProvider;
    expect(resolved.requestTimeout).toBe(5000);
    const mine = new NodeHttpHandler();
    expect(new KinesisClient({ region: 'us-east-1', requestHandler: mine }).config.requestHandler).toBe(mine);
    expect(new KinesisClient({ region: 'us-east-1' }).config.requestHandler).toBeInstanceOf(NodeHttpHandler);
  });
});

describe('Kinesis source (mocked)', () => {
  it('pages ListShards with NextToken alone, reads AT_TIMESTAMP, and keeps reading empty pages while behind', async () => {
    kinesisMock
      .on(ListShardsCommand, { StreamName: 'audit' })
      .resolves({ Shards: [shard('shardId-0')], NextToken: 'n1' })
      .on(ListShardsCommand, { NextToken: 'n1' })
      .resolves({ Shards: [shard('shardId-1')] });
    kinesisMock
      .on(GetShardIteratorCommand)
      .callsFake((input: { ShardId: string }) => ({ ShardIterator: `${input.ShardId}-it0` }));
    kinesisMock
      .on(GetRecordsCommand, { ShardIterator: 'shardId-0-it0' })
      .resolves({ Records: [], NextShardIterator: 'shardId-0-it1', MillisBehindLatest: 90_000 })
      .on(GetRecordsCommand, { ShardIterator: 'shardId-0-it1' })
      .resolves({
        Records: [
          { Data: enc.encode('{"n":1}'), SequenceNumber: '7', PartitionKey: 'p', ApproximateArrivalTimestamp: new Date() },
        ],
        NextShardIterator: 'shardId-0-it2',
        MillisBehindLatest: 0,
      })
      .on(GetRecordsCommand, { ShardIterator: 'shardId-0-it2' })
      .resolves({ Records: [], NextShardIterator: 'shardId-0-it3', MillisBehindLatest: 0 })
      // A closed shard ends with no next iterator.
      .on(GetRecordsCommand, { ShardIterator: 'shardId-1-it0' })
      .resolves({ Records: [{ Data: enc.encode('{"n":2}'), SequenceNumber: '9', PartitionKey: 'p' }] });
    const since = new Date('2026-11-26T10:00:00Z');
    const items = await all(new KinesisSource(clients(), 'us-east-1', 'audit'), { since });
    expect(items).toEqual([
      { text: '{"n":1}', location: 'kinesis://audit/shardId-0#7' },
      { text: '{"n":2}', location: 'kinesis://audit/shardId-1#9' },
    ]);
    expect(kinesisMock.commandCalls(ListShardsCommand)[1]?.args[0].input).toEqual({ NextToken: 'n1' });
    const it0 = kinesisMock.commandCalls(GetShardIteratorCommand)[0]?.args[0].input;
    expect(it0).toMatchObject({ ShardIteratorType: 'AT_TIMESTAMP', Timestamp: new Date(since.getTime() - 300_000) });
    expect(kinesisMock.commandCalls(GetRecordsCommand)).toHaveLength(4);
  });

  it('gives up on a shard after 20 empty pages that still say it is behind (no endless loop)', async () => {
    kinesisMock.on(ListShardsCommand).resolves({ Shards: [shard('s')] });
    kinesisMock.on(GetShardIteratorCommand).resolves({ ShardIterator: 'it' });
    kinesisMock.on(GetRecordsCommand).resolves({ Records: [], NextShardIterator: 'it', MillisBehindLatest: 5000 });
    expect(await all(new KinesisSource(clients(), 'us-east-1', 'audit'))).toEqual([]);
    expect(kinesisMock.commandCalls(GetRecordsCommand)).toHaveLength(20);
    expect(kinesisMock.commandCalls(GetShardIteratorCommand)[0]?.args[0].input).toMatchObject({
      ShardIteratorType: 'TRIM_HORIZON',
    });
  });

  it('throttling that outlasts the retries is an AuditSourceError', async () => {
    kinesisMock.on(ListShardsCommand).resolves({ Shards: [shard('s')] });
    kinesisMock.on(GetShardIteratorCommand).resolves({ ShardIterator: 'it' });
    kinesisMock
      .on(GetRecordsCommand)
      .rejects(Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' }));
    const err = await all(new KinesisSource(clients(), 'us-east-1', 'audit')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuditSourceError);
    expect((err as Error).message).toMatch(/GetRecords failed: ProvisionedThroughputExceededException/);
  });
});

describe('S3 archive source (mocked)', () => {
  it('follows continuation tokens past 1,000 keys and skips partitions outside the window', async () => {
    s3Mock
      .on(ListObjectsV2Command, { ContinuationToken: undefined })
      .resolves({
        Contents: [{ Key: 'audit/year=2026/month=10/day=01/hour=00/a.gz' }, { Key: 'audit/year=2026/month=11/day=26/hour=14/' }],
        IsTruncated: true,
        NextContinuationToken: 'c1',
      })
      .on(ListObjectsV2Command, { ContinuationToken: 'c1' })
      .resolves({ Contents: [{ Key: 'audit/year=2026/month=11/day=26/hour=14/b.gz' }], IsTruncated: false });
    const src = new ArchiveSource(clients(), 'us-east-1', 's3://bucket/audit/');
    expect(await src.keys({ since: new Date('2026-11-26T00:00:00Z') })).toEqual({
      keys: ['audit/year=2026/month=11/day=26/hour=14/b.gz'],
      skipped: 1,
    });
    expect(s3Mock.commandCalls(ListObjectsV2Command)[0]?.args[0].input).toMatchObject({ Bucket: 'bucket', Prefix: 'audit/' });
  });

  it('GetObject denied is an AuditSourceError naming the key', async () => {
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'audit/x.gz' }] });
    s3Mock.on(GetObjectCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));
    await expect(all(new ArchiveSource(clients(), 'us-east-1', 's3://bucket/audit/'))).rejects.toThrow(
      /GetObject audit\/x\.gz failed: AccessDenied/,
    );
  });
});
