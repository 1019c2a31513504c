import type { Readable } from 'node:stream';
import { AwsClients } from '../../../controllers/core/aws.js';
import { ConfigError } from '../../../controllers/core/errors.js';
import { FileSource } from './file.js';
import { KinesisSource } from './kinesis.js';
import { LogGroupSource } from './logs.js';
import { ArchiveSource } from './s3.js';
import type { AuditSource } from './types.js';

export type { AuditSource } from './types.js';

export type SourceSpec =
  | { kind: 'file'; path: string }
  | { kind: 'logs'; logGroup: string; region?: string }
  | { kind: 's3'; url: string; region?: string }
  | { kind: 'kinesis'; stream: string; region?: string };

/**
 * A source named URL-like. Pure.
 * - `PATH`, `file://PATH` or `-` (standard input): JSON lines, plain or gzip
 * - `logs://LOG_GROUP` (the group name may start with `/`: `logs:///aws/events/logwarden-audit`) or a log group ARN
 * - `s3://BUCKET/PREFIX`
 * - `kinesis://STREAM` or a stream ARN
 * AWS sources take `?region=REGION`; ARNs carry their region.
 */
export function parseSourceSpec(text: string): SourceSpec {
  const [base, query] = splitQuery(text);
  const region = query.get('region') ?? undefined;
  if (base.startsWith('logs://'))
    return nonEmpty({ kind: 'logs' as const, logGroup: base.slice('logs://'.length), region }, text);
  if (base.startsWith('s3://')) return { kind: 's3', url: base, region };
  if (base.startsWith('kinesis://'))
    return nonEmpty({ kind: 'kinesis' as const, stream: base.slice('kinesis://'.length), region }, text);
  const logArn = /^arn:aws[a-z-]*:logs:([a-z0-9-]+):\d{12}:log-group:(.+?)(?::\*)?$/.exec(base);
  if (logArn) return { kind: 'logs', logGroup: logArn[2] as string, region: logArn[1] };
  const streamArn = /^arn:aws[a-z-]*:kinesis:([a-z0-9-]+):\d{12}:stream\/(.+)$/.exec(base);
  if (streamArn) return { kind: 'kinesis', stream: streamArn[2] as string, region: streamArn[1] };
  if (/^[a-z][a-z0-9+.-]*:\/\//.test(base) && !base.startsWith('file://')) {
    throw new ConfigError(
      'source',
      `unknown source scheme in ${JSON.stringify(text)} (file path, -, logs://, s3://, kinesis://)`,
    );
  }
  return { kind: 'file', path: base.startsWith('file://') ? base.slice('file://'.length) : text };
}

function splitQuery(text: string): [string, URLSearchParams] {
  if (!/^(logs|s3|kinesis):\/\//.test(text)) return [text, new URLSearchParams()];
  const queryStart = text.indexOf('?');
  return queryStart < 0
    ? [text, new URLSearchParams()]
    : [text.slice(0, queryStart), new URLSearchParams(text.slice(queryStart + 1))];
}

function nonEmpty<T extends { logGroup?: string; stream?: string }>(spec: T, text: string): T {
  if (!(spec.logGroup ?? spec.stream)) throw new ConfigError('source', `no name in ${JSON.stringify(text)}`);
  return spec;
}

/** The source for a spec. AWS sources use the SDK's standard configuration unless clients are given. */
export function openSource(spec: SourceSpec, options: { clients?: AwsClients; stdin?: Readable } = {}): AuditSource {
  if (spec.kind === 'file') return new FileSource(spec.path, options.stdin);
  const region = spec.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region)
    throw new ConfigError('AWS_REGION', `not set: name the region of ${spec.kind} source with ?region=REGION or AWS_REGION`);
  const clients = options.clients ?? new AwsClients();
  if (spec.kind === 'logs') return new LogGroupSource(clients, region, spec.logGroup);
  if (spec.kind === 'kinesis') return new KinesisSource(clients, region, spec.stream);
  return new ArchiveSource(clients, region, spec.url);
}
