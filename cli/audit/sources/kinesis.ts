import {
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type KinesisClientConfig,
  ListShardsCommand,
  type ListShardsCommandInput,
  KinesisClient as SdkKinesisClient,
  type Shard,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AwsClients } from '../../../controllers/core/aws.js';
import { errorCode } from '../../../controllers/core/errors.js';
import { AuditSourceError } from '../errors.js';
import type { RawItem } from '../parse.js';
import { splitDocuments } from '../parse.js';
import type { AuditSource, PositionListener, ReadWindow } from './types.js';

/**
 * The Kinesis client over HTTP/1.1. The SDK's default handler for Kinesis speaks HTTP/2, which only
 * SubscribeToShard needs; ListShards, GetShardIterator and GetRecords work over HTTP/1.1 on AWS, and
 * the emulator speaks nothing else. Same class name, so the call recorder maps it to `kinesis:*`.
 */
export class KinesisClient extends SdkKinesisClient {
  constructor(config: KinesisClientConfig) {
    // Handler options from the client factory (timeouts) are kept; a ready-made handler is used as is.
    const given = config.requestHandler as unknown;
    const isHandler = typeof (given as { handle?: unknown } | undefined)?.handle === 'function';
    const requestHandler = isHandler
      ? config.requestHandler
      : new NodeHttpHandler((given ?? {}) as ConstructorParameters<typeof NodeHttpHandler>[0]);
    super({ ...config, requestHandler });
  }
}

const decoder = new TextDecoder();
/** Empty GetRecords answers in a row before a shard that still says it is behind is left (AWS may answer empty pages). */
const MAX_EMPTY_PAGES = 20;
/** Slack on AT_TIMESTAMP for clock skew between the publisher and the stream; the filters apply the exact window. */
const WINDOW_SLACK_MS = 5 * 60_000;

/**
 * The central Kinesis stream: each record's data is the EventBridge event JSON. Reads every shard
 * (closed parents too) from the trim horizon, or from `since` (AT_TIMESTAMP: a record arrives
 * after it was made, so nothing in the window is missed), up to the tip of the shard.
 */
export class KinesisSource implements AuditSource {
  readonly name: string;
  constructor(
    private readonly clients: AwsClients,
    private readonly region: string,
    private readonly stream: string,
    private readonly pageLimit = 10_000,
  ) {
    this.name = `kinesis://${stream}`;
  }

  private fail(api: string, cause: unknown): never {
    throw new AuditSourceError(this.name, `${api} failed: ${errorCode(cause)}: ${(cause as Error).message}`, { cause });
  }

  private async shards(kinesis: KinesisClient): Promise<Shard[]> {
    const shards: Shard[] = [];
    let next: string | undefined;
    do {
      const input: ListShardsCommandInput = next ? { NextToken: next } : { StreamName: this.stream };
      try {
        const res = await kinesis.send(new ListShardsCommand(input));
        shards.push(...(res.Shards ?? []));
        next = res.NextToken;
      } catch (cause) {
        this.fail('ListShards', cause);
      }
    } while (next);
    return shards;
  }

  async *items(window: ReadWindow, onPosition?: PositionListener): AsyncIterable<RawItem> {
    const kinesis = this.clients.get(KinesisClient, this.region);
    const shards = await this.shards(kinesis);
    for (const [shardIndex, shard] of shards.entries()) {
      const shardId = shard.ShardId as string;
      onPosition?.(`${this.name}: shard ${shardIndex + 1}/${shards.length}`);
      let iterator: string | undefined;
      try {
        const res = await kinesis.send(
          new GetShardIteratorCommand({
            StreamName: this.stream,
            ShardId: shardId,
            ...(window.since
              ? { ShardIteratorType: 'AT_TIMESTAMP', Timestamp: new Date(window.since.getTime() - WINDOW_SLACK_MS) }
              : { ShardIteratorType: 'TRIM_HORIZON' }),
          }),
        );
        iterator = res.ShardIterator;
      } catch (cause) {
        this.fail('GetShardIterator', cause);
      }
      let empty = 0;
      while (iterator) {
        let res: GetRecordsCommandOutput | undefined;
        try {
          res = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: this.pageLimit }));
        } catch (cause) {
          this.fail('GetRecords', cause);
        }
        const records = res?.Records ?? [];
        for (const record of records) {
          const where = `${this.name}/${shardId}#${record.SequenceNumber ?? '?'}`;
          const docs = splitDocuments(decoder.decode(record.Data ?? new Uint8Array()));
          if (docs.length === 0) yield { text: '', location: where };
          for (const text of docs) yield { text, location: where };
        }
        iterator = res?.NextShardIterator;
        if (records.length > 0) {
          empty = 0;
          continue;
        }
        // At the tip of an open shard the iterator never ends: stop when caught up.
        if ((res?.MillisBehindLatest ?? 0) === 0 || ++empty >= MAX_EMPTY_PAGES) break;
      }
    }
  }
}
