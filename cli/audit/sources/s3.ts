import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { AwsClients } from '../../../controllers/core/aws.js';
import { errorCode } from '../../../controllers/core/errors.js';
import { AuditSourceError } from '../errors.js';
import type { RawItem } from '../parse.js';
import { splitDocuments } from '../parse.js';
import type { AuditSource, PositionListener, ReadWindow } from './types.js';

const HOUR_MS = 3_600_000;
/** Firehose buffers up to 15 minutes: a record made before `until` can land in the next hour's partition. */
const BUFFER_MARGIN_MS = HOUR_MS;
/** Objects downloaded ahead while earlier ones are parsed. */
const PREFETCH = 4;

/**
 * The hour a Firehose key is partitioned under: `…/year=2026/month=11/day=26/hour=14/…` (the
 * archive's custom prefix) or Firehose's default `…/2026/11/26/14/…`. Undefined for other keys. Pure.
 */
export function partitionHour(key: string): Date | undefined {
  const match =
    /(?:^|\/)year=(\d{4})\/month=(\d{1,2})\/day=(\d{1,2})\/hour=(\d{1,2})(?:\/|$)/.exec(key) ??
    /(?:^|\/)(\d{4})\/(\d{2})\/(\d{2})\/(\d{2})\//.exec(key);
  if (!match) return undefined;
  const [year, month, day, hour] = match.slice(1).map(Number) as [number, number, number, number];
  const time = Date.UTC(year, month - 1, day, hour);
  return Number.isNaN(time) ? undefined : new Date(time);
}

/**
 * May the object under this key hold records of the window? Firehose partitions by arrival time,
 * which is at or after the record's time. Keys without a partition are always read. Pure.
 */
export function keyInWindow(key: string, window: ReadWindow): boolean {
  const hour = partitionHour(key);
  if (!hour) return true;
  const start = hour.getTime();
  if (window.since && start + HOUR_MS <= window.since.getTime()) return false;
  if (window.until && start >= window.until.getTime() + BUFFER_MARGIN_MS) return false;
  return true;
}

/** Parse `s3://bucket/prefix`. */
function parseS3Url(url: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!match) throw new AuditSourceError(url, 'expected s3://BUCKET/PREFIX');
  return { bucket: match[1] as string, prefix: match[2] as string };
}

/**
 * The S3 archive (Firehose output of the stream): gzip objects of newline-delimited EventBridge
 * events under date-partitioned keys. Lists the prefix, skips partitions outside the window, and
 * reads the rest in key (= time) order. Objects that are not gzip are read as plain text.
 */
export class ArchiveSource implements AuditSource {
  readonly name: string;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(
    private readonly clients: AwsClients,
    private readonly region: string,
    url: string,
  ) {
    ({ bucket: this.bucket, prefix: this.prefix } = parseS3Url(url));
    this.name = `s3://${this.bucket}/${this.prefix}`;
  }

  private fail(api: string, cause: unknown): never {
    throw new AuditSourceError(this.name, `${api} failed: ${errorCode(cause)}: ${(cause as Error).message}`, { cause });
  }

  /** Keys under the prefix that may hold records of the window, in key order. */
  async keys(window: ReadWindow): Promise<{ keys: string[]; skipped: number }> {
    const s3 = this.clients.get(S3Client, this.region);
    const keys: string[] = [];
    let skipped = 0;
    let token: string | undefined;
    do {
      try {
        const res = await s3.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix || undefined, ContinuationToken: token }),
        );
        for (const object of res.Contents ?? []) {
          if (!object.Key || object.Key.endsWith('/')) continue;
          if (keyInWindow(object.Key, window)) keys.push(object.Key);
          else skipped++;
        }
        token = res.IsTruncated ? res.NextContinuationToken : undefined;
      } catch (cause) {
        this.fail('ListObjectsV2', cause);
      }
    } while (token);
    keys.sort();
    return { keys, skipped };
  }

  private async text(key: string): Promise<string> {
    const s3 = this.clients.get(S3Client, this.region);
    let bytes: Uint8Array;
    try {
      const res = await s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      bytes = (await res.Body?.transformToByteArray()) ?? new Uint8Array();
    } catch (cause) {
      this.fail(`GetObject ${key}`, cause);
    }
    if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
      try {
        return gunzipSync(bytes).toString('utf8');
      } catch (cause) {
        throw new AuditSourceError(this.name, `s3://${this.bucket}/${key} is not valid gzip: ${(cause as Error).message}`, {
          cause,
        });
      }
    }
    return Buffer.from(bytes).toString('utf8');
  }

  async *items(window: ReadWindow, onPosition?: PositionListener): AsyncIterable<RawItem> {
    const { keys } = await this.keys(window);
    const pending: Promise<string>[] = [];
    let next = 0;
    const fill = () => {
      while (pending.length < PREFETCH && next < keys.length) {
        const download = this.text(keys[next++] as string);
        download.catch(() => undefined); // awaited below; avoid an unhandled rejection while it waits its turn
        pending.push(download);
      }
    };
    for (const [keyIndex, key] of keys.entries()) {
      fill();
      onPosition?.(`${this.name}: object ${keyIndex + 1}/${keys.length}`);
      const text = await (pending.shift() as Promise<string>);
      for (const [docIndex, doc] of splitDocuments(text).entries()) {
        yield { text: doc, location: `s3://${this.bucket}/${key}:${docIndex + 1}` };
      }
    }
  }
}
