/**
 * A counting HTTP proxy in front of the emulator: both tools of the side-by-side bench send every
 * AWS call through it, so their calls are counted the same way, at the wire, whatever the SDK.
 *
 * Operations are named as in test/helpers/fault-proxy.ts (SigV4 credential scope for the service;
 * `X-Amz-Target` for JSON protocols, `Action=` for the query protocols, method and path for S3 and
 * GuardDuty's rest-json). The S3 naming covers every bucket subresource Cloud Custodian reads while it
 * describes a bucket (replication, website, notification...), which the fault proxy never needs.
 */
import { Agent, createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Subresource query key → the noun of its S3 operation (GetBucketLogging, PutBucketLogging...). */
const S3_SUBRESOURCES: Record<string, string> = {
  logging: 'BucketLogging',
  location: 'BucketLocation',
  tagging: 'BucketTagging',
  policy: 'BucketPolicy',
  policyStatus: 'BucketPolicyStatus',
  acl: 'BucketAcl',
  versioning: 'BucketVersioning',
  encryption: 'BucketEncryption',
  lifecycle: 'BucketLifecycleConfiguration',
  replication: 'BucketReplication',
  website: 'BucketWebsite',
  notification: 'BucketNotificationConfiguration',
  cors: 'BucketCors',
  requestPayment: 'BucketRequestPayment',
  accelerate: 'BucketAccelerateConfiguration',
  ownershipControls: 'BucketOwnershipControls',
  publicAccessBlock: 'PublicAccessBlock',
  'object-lock': 'ObjectLockConfiguration',
};

const VERB: Record<string, string> = { GET: 'Get', PUT: 'Put', DELETE: 'Delete', HEAD: 'Head' };

function s3Operation(method: string, path: string, query: URLSearchParams): string {
  const sub = Object.keys(S3_SUBRESOURCES).find((s) => query.has(s));
  if (sub) return `${VERB[method] ?? method}${S3_SUBRESOURCES[sub]}`;
  const parts = path.split('/').filter(Boolean);
  if (parts.length === 0) return method === 'GET' ? 'ListBuckets' : `${method}Root`;
  if (parts.length === 1) {
    const bucketOps: Record<string, string> = {
      PUT: 'CreateBucket',
      HEAD: 'HeadBucket',
      DELETE: 'DeleteBucket',
      GET: 'ListObjects',
    };
    return bucketOps[method] ?? `${method}Bucket`;
  }
  return `${VERB[method] ?? method}Object`;
}

/** GuardDuty's rest-json routes that either tool calls; anything else keeps its method and path. */
function guardDutyOperation(method: string, path: string): string {
  const p = path.replace(/\/+$/, '');
  const routes: [RegExp, Record<string, string>][] = [
    [/^\/detector$/, { GET: 'ListDetectors', POST: 'CreateDetector' }],
    [/^\/detector\/[^/]+$/, { GET: 'GetDetector', POST: 'UpdateDetector', DELETE: 'DeleteDetector' }],
    [/^\/detector\/[^/]+\/administrator$/, { GET: 'GetAdministratorAccount' }],
    [/^\/detector\/[^/]+\/master$/, { GET: 'GetMasterAccount' }],
    [/^\/detector\/[^/]+\/filter$/, { GET: 'ListFilters' }],
    [/^\/detector\/[^/]+\/ipset$/, { GET: 'ListIPSets' }],
    [/^\/tags\/.+$/, { GET: 'ListTagsForResource', POST: 'TagResource' }],
  ];
  for (const [re, byMethod] of routes) if (re.test(p) && byMethod[method]) return byMethod[method] as string;
  return `${method} ${p.replace(/\/[0-9a-f]{20,}/g, '/{id}')}`;
}

/** `service:Operation` of one request. */
function operationOf(req: Pick<IncomingMessage, 'method' | 'url' | 'headers'>, body: string): string {
  const auth = String(req.headers.authorization ?? '');
  const service = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(auth)?.[1] ?? 'unknown';
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string' && target) return `${service}:${target.slice(target.lastIndexOf('.') + 1)}`;
  const url = new URL(req.url ?? '/', 'http://proxy');
  const method = req.method ?? 'GET';
  if (service === 's3') return `${service}:${s3Operation(method, url.pathname, url.searchParams)}`;
  if (service === 'guardduty') return `${service}:${guardDutyOperation(method, url.pathname)}`;
  const action = new URLSearchParams(body).get('Action') ?? url.searchParams.get('Action');
  return `${service}:${action ?? `${method} ${url.pathname}`}`;
}

export interface CountingProxy {
  readonly endpoint: string;
  /** Calls forwarded since the last `take`, per `service:Operation`. */
  take(): Record<string, number>;
  /** When the first call since the last `take` arrived (`performance.timeOrigin + performance.now()` ms), or null. */
  firstCallAt(): number | null;
  stop(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Forward one request to the emulator and stream its answer back unchanged. */
function relay(target: URL, agent: Agent, req: IncomingMessage, body: Buffer, res: ServerResponse): void {
  const headers = { ...req.headers, host: target.host, 'content-length': String(body.length) };
  const out = request(
    { hostname: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  out.on('error', (error) => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
    res.end(`counting proxy: ${error.message}`);
  });
  out.end(body);
}

/** Start the proxy in front of `target` (the emulator's endpoint) on a free loopback port. */
export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const upstream = new URL(target);
  // Keep-alive to the emulator, so the proxy adds no connection set-up of its own to either tool.
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  let counts: Record<string, number> = {};
  let first: number | null = null;
  const server: Server = createServer((req, res) => {
    first ??= performance.timeOrigin + performance.now();
    readBody(req).then(
      (body) => {
        const op = operationOf(req, body.toString('utf8'));
        counts[op] = (counts[op] ?? 0) + 1;
        relay(upstream, agent, req, body, res);
      },
      () => res.destroy(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    take() {
      const taken = counts;
      counts = {};
      first = null;
      return taken;
    },
    firstCallAt: () => first,
    stop() {
      agent.destroy();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
