/**
 * A fault-injecting HTTP proxy between the SDK clients and the emulator. It listens on a free
 * loopback port, names each request's AWS operation from the wire (SigV4 credential scope for the
 * service; `X-Amz-Target` for JSON protocols, `Action=` for EC2's query protocol, method and path
 * for S3's rest-xml and GuardDuty's and EKS's rest-json), and, for operations matched by a rule, injects a
 * fault with the rule's probability. A seeded RNG makes every run reproducible.
 *
 * Faults answer the way AWS does for the protocol: JSON `__type` bodies (and `x-amzn-errortype`)
 * for JSON and rest-json services, `<Response><Errors><Error><Code>` for EC2, `<Error><Code>` for
 * S3. `partial` is for EventBridge PutEvents: only some entries are forwarded to the emulator, the
 * others are answered with a per-entry `ErrorCode` and the call's `FailedEntryCount`.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FaultKind =
  /** Throttling in the protocol's own words: ThrottlingException (JSON), RequestLimitExceeded (EC2), SlowDown (S3). */
  | 'throttle'
  /** HTTP 429 with a throttling code. */
  | 'http429'
  | 'http500'
  | 'http503'
  /** The connection is reset before the request reaches the emulator. */
  | 'reset'
  /** The request is applied by the emulator, then the connection is reset: the answer is lost. */
  | 'reset-after'
  /** The request is held past the client's request timeout, never forwarded. */
  | 'timeout'
  /** A permanent error: 403 AccessDeniedException (JSON), UnauthorizedOperation (EC2), AccessDenied (S3). */
  | 'denied'
  /** PutEvents only: some entries fail (per-entry ErrorCode), the others reach the emulator. */
  | 'partial';

type Protocol = 'json' | 'rest-json' | 'ec2' | 'rest-xml';

interface Operation {
  /** SigV4 signing name: cloudtrail, ec2, s3, guardduty, events, sqs, dynamodb... */
  service: string;
  /** The API operation, e.g. StopLogging, DescribeVpcs, PutBucketLogging, GetDetector, PutEvents. */
  name: string;
  protocol: Protocol;
}

export interface FaultRule {
  /** Which operations: a predicate, or `service:Name` strings (`*` for any part). */
  match: ((op: Operation) => boolean) | readonly string[];
  probability: number;
  /** The kinds to choose from (uniformly, with the seeded RNG). */
  kinds: readonly FaultKind[];
}

export interface FaultProxyOptions {
  /** The emulator's endpoint, e.g. http://127.0.0.1:5000 */
  target: string;
  seed?: number;
  rules?: readonly FaultRule[];
  /** How long a `timeout` fault holds the request before dropping it. Longer than the clients' requestTimeoutMs. */
  holdMs?: number;
}

interface FaultStats {
  /** Requests that reached the emulator, per `service:Name`. */
  forwarded: Record<string, number>;
  /** Injected faults, per `service:Name` and kind (`events:PutEvents/partial`). */
  injected: Record<string, number>;
  /** PutEvents entries answered as failed by `partial` faults. */
  failedEntries: number;
  requests: number;
}

export interface FaultProxy {
  readonly endpoint: string;
  readonly stats: FaultStats;
  /** Replace the rules (e.g. none during set-up, 30% during the test). */
  setRules(rules: readonly FaultRule[]): void;
  resetStats(): void;
  /** Sum of `injected` (optionally of one kind). */
  injectedCount(kind?: FaultKind): number;
  /** Sum of `forwarded`, optionally only operations matching `service:Name` patterns. */
  forwardedCount(patterns?: readonly string[]): number;
  stop(): Promise<void>;
}

/** mulberry32: a small seeded PRNG. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const S3_SUBRESOURCES = [
  'logging',
  'location',
  'tagging',
  'policy',
  'acl',
  'versioning',
  'encryption',
  'lifecycle',
  'ownershipControls',
];

function s3Operation(method: string, path: string, query: URLSearchParams): string {
  const sub = S3_SUBRESOURCES.find((s) => query.has(s));
  const cap = (s: string) => s[0]?.toUpperCase() + s.slice(1);
  if (sub) {
    const noun = sub === 'location' ? 'BucketLocation' : `Bucket${cap(sub)}`;
    return `${method === 'GET' ? 'Get' : method === 'PUT' ? 'Put' : method === 'DELETE' ? 'Delete' : method}${noun}`;
  }
  const parts = path.split('/').filter(Boolean);
  if (parts.length === 0) return method === 'GET' ? 'ListBuckets' : `${method}Root`;
  if (parts.length === 1) {
    if (method === 'PUT') return 'CreateBucket';
    if (method === 'HEAD') return 'HeadBucket';
    if (method === 'DELETE') return 'DeleteBucket';
    if (method === 'GET') return 'ListObjectsV2';
  }
  return { GET: 'GetObject', PUT: 'PutObject', HEAD: 'HeadObject', DELETE: 'DeleteObject' }[method] ?? `${method}Object`;
}

/** GuardDuty's rest-json routes, as far as logwarden uses them. */
function guardDutyOperation(method: string, path: string): string {
  const p = path.replace(/\/+$/, '');
  const routes: [RegExp, Record<string, string>][] = [
    [/^\/detector$/, { GET: 'ListDetectors', POST: 'CreateDetector' }],
    [/^\/detector\/[^/]+$/, { GET: 'GetDetector', POST: 'UpdateDetector', DELETE: 'DeleteDetector' }],
    [/^\/detector\/[^/]+\/filter$/, { GET: 'ListFilters', POST: 'CreateFilter' }],
    [/^\/detector\/[^/]+\/filter\/[^/]+$/, { GET: 'GetFilter', POST: 'UpdateFilter', DELETE: 'DeleteFilter' }],
    [/^\/detector\/[^/]+\/ipset$/, { GET: 'ListIPSets', POST: 'CreateIPSet' }],
    [/^\/detector\/[^/]+\/ipset\/[^/]+$/, { GET: 'GetIPSet', POST: 'UpdateIPSet', DELETE: 'DeleteIPSet' }],
    [/^\/detector\/[^/]+\/administrator$/, { GET: 'GetAdministratorAccount' }],
    [/^\/tags\/.+$/, { GET: 'ListTagsForResource', POST: 'TagResource', DELETE: 'UntagResource' }],
  ];
  return routed(routes, method, p);
}

/** EKS's rest-json routes, as far as logwarden uses them. */
function eksOperation(method: string, path: string): string {
  const p = path.replace(/\/+$/, '');
  const routes: [RegExp, Record<string, string>][] = [
    [/^\/clusters$/, { GET: 'ListClusters', POST: 'CreateCluster' }],
    [/^\/clusters\/[^/]+$/, { GET: 'DescribeCluster', DELETE: 'DeleteCluster' }],
    [/^\/clusters\/[^/]+\/update-config$/, { POST: 'UpdateClusterConfig' }],
    [/^\/clusters\/[^/]+\/updates\/[^/]+$/, { GET: 'DescribeUpdate' }],
  ];
  return routed(routes, method, p);
}

function routed(routes: [RegExp, Record<string, string>][], method: string, p: string): string {
  for (const [re, byMethod] of routes) if (re.test(p) && byMethod[method]) return byMethod[method] as string;
  return `${method}${p.replace(/\/[0-9a-f]{20,}/g, '/{id}')}`;
}

/** Name the operation of one request. */
function operationOf(req: Pick<IncomingMessage, 'method' | 'url' | 'headers'>, body: string): Operation {
  const auth = String(req.headers.authorization ?? '');
  const service = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(auth)?.[1] ?? 'unknown';
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string' && target) {
    return { service, name: target.slice(target.lastIndexOf('.') + 1), protocol: 'json' };
  }
  const url = new URL(req.url ?? '/', 'http://proxy');
  const method = req.method ?? 'GET';
  if (service === 's3') return { service, name: s3Operation(method, url.pathname, url.searchParams), protocol: 'rest-xml' };
  if (service === 'guardduty') return { service, name: guardDutyOperation(method, url.pathname), protocol: 'rest-json' };
  if (service === 'eks') return { service, name: eksOperation(method, url.pathname), protocol: 'rest-json' };
  const action = new URLSearchParams(body).get('Action') ?? url.searchParams.get('Action');
  if (action) return { service, name: action, protocol: 'ec2' };
  return { service, name: `${method} ${url.pathname}`, protocol: 'rest-json' };
}

const key = (op: Operation) => `${op.service}:${op.name}`;

function matches(rule: FaultRule, op: Operation): boolean {
  if (typeof rule.match === 'function') return rule.match(op);
  return rule.match.some((p) => {
    const [s, n] = p.split(':');
    return (s === '*' || s === op.service) && (n === undefined || n === '*' || n === op.name);
  });
}

interface ErrorAnswer {
  status: number;
  code: string;
  message: string;
}

function errorFor(kind: FaultKind, op: Operation): ErrorAnswer {
  const xml = op.protocol === 'ec2' || op.protocol === 'rest-xml';
  switch (kind) {
    case 'throttle':
      if (op.protocol === 'ec2') return { status: 503, code: 'RequestLimitExceeded', message: 'Request limit exceeded.' };
      if (op.protocol === 'rest-xml') return { status: 503, code: 'SlowDown', message: 'Please reduce your request rate.' };
      return { status: 400, code: 'ThrottlingException', message: 'Rate exceeded' };
    case 'http429':
      return { status: 429, code: xml ? 'Throttling' : 'TooManyRequestsException', message: 'Too Many Requests' };
    case 'http500':
      return { status: 500, code: xml ? 'InternalError' : 'InternalFailure', message: 'We encountered an internal error.' };
    case 'http503':
      return { status: 503, code: xml ? 'ServiceUnavailable' : 'ServiceUnavailableException', message: 'Service unavailable.' };
    case 'denied':
      if (op.protocol === 'ec2')
        return { status: 403, code: 'UnauthorizedOperation', message: 'You are not authorized to perform this operation.' };
      if (op.protocol === 'rest-xml') return { status: 403, code: 'AccessDenied', message: 'Access Denied' };
      return {
        status: 403,
        code: 'AccessDeniedException',
        message: `User is not authorized to perform: ${op.service}:${op.name}`,
      };
    default:
      throw new Error(`${kind} is not an error answer`);
  }
}

function sendError(res: ServerResponse, op: Operation, e: ErrorAnswer): void {
  const requestId = randomUUID();
  let body: string;
  const headers: Record<string, string> = { 'x-amzn-requestid': requestId, 'x-amz-request-id': requestId };
  if (op.protocol === 'ec2') {
    body = `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${e.code}</Code><Message>${e.message}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`;
    headers['content-type'] = 'text/xml;charset=UTF-8';
  } else if (op.protocol === 'rest-xml') {
    body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${e.code}</Code><Message>${e.message}</Message><RequestId>${requestId}</RequestId></Error>`;
    headers['content-type'] = 'application/xml';
  } else {
    body = JSON.stringify({ __type: e.code, message: e.message });
    headers['content-type'] = op.protocol === 'json' ? 'application/x-amz-json-1.1' : 'application/json';
    headers['x-amzn-errortype'] = e.code;
  }
  headers['content-length'] = String(Buffer.byteLength(body));
  res.writeHead(e.status, headers);
  res.end(body);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Forward one request to the emulator; resolves with its answer. */
function forward(
  target: URL,
  req: IncomingMessage,
  body: Buffer,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const headers = { ...req.headers, host: target.host, 'content-length': String(body.length) };
    const out = request(
      { hostname: target.hostname, port: target.port, method: req.method, path: req.url, headers },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () =>
          resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: Buffer.concat(chunks) }),
        );
        answer.on('error', reject);
      },
    );
    out.on('error', reject);
    out.end(body);
  });
}

/** Start the proxy in front of `target`. */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target);
  const random = seededRandom(options.seed ?? 1);
  let rules: readonly FaultRule[] = options.rules ?? [];
  const holdMs = options.holdMs ?? 2_000;
  const stats: FaultStats = { forwarded: {}, injected: {}, failedEntries: 0, requests: 0 };
  const held = new Set<ServerResponse>();
  const bump = (m: Record<string, number>, k: string) => {
    m[k] = (m[k] ?? 0) + 1;
  };

  const pickFault = (op: Operation): FaultKind | null => {
    for (const rule of rules) {
      if (!matches(rule, op)) continue;
      // Draw both numbers whatever the outcome, so one rule's decisions do not shift another's.
      const roll = random();
      const pick = random();
      const kinds = rule.kinds.filter((k) => k !== 'partial' || key(op) === 'events:PutEvents');
      if (roll < rule.probability && kinds.length > 0) return kinds[Math.floor(pick * kinds.length)] as FaultKind;
      return null;
    }
    return null;
  };

  const relay = (res: ServerResponse, answer: Awaited<ReturnType<typeof forward>>) => {
    const headers = { ...answer.headers };
    delete headers['transfer-encoding'];
    headers['content-length'] = String(answer.body.length);
    res.writeHead(answer.status, headers);
    res.end(answer.body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    stats.requests++;
    const op = operationOf(req, body.toString('utf8'));
    const fault = pickFault(op);
    if (fault) bump(stats.injected, `${key(op)}/${fault}`);
    switch (fault) {
      case null:
        break;
      case 'reset':
        req.socket.destroy();
        return;
      case 'timeout':
        held.add(res);
        setTimeout(() => {
          held.delete(res);
          req.socket.destroy();
        }, holdMs).unref();
        return;
      case 'reset-after': {
        bump(stats.forwarded, key(op));
        await forward(target, req, body).catch(() => undefined);
        req.socket.destroy();
        return;
      }
      case 'partial': {
        const parsed = JSON.parse(body.toString('utf8')) as { Entries?: unknown[] };
        const entries = parsed.Entries ?? [];
        const failing = entries.map(() => random() < 0.5);
        if (entries.length > 0 && failing.every(Boolean)) failing[0] = false; // some entries do go through
        const passing = entries.filter((_, i) => !failing[i]);
        bump(stats.forwarded, key(op));
        const answer = await forward(target, req, Buffer.from(JSON.stringify({ ...parsed, Entries: passing })));
        const ok = (JSON.parse(answer.body.toString('utf8')) as { Entries?: { EventId?: string }[] }).Entries ?? [];
        let next = 0;
        const merged = entries.map((_, i) =>
          failing[i]
            ? { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded for this entry' }
            : (ok[next++] ?? { ErrorCode: 'InternalFailure', ErrorMessage: 'no result' }),
        );
        const failed = merged.filter((e) => 'ErrorCode' in e).length;
        stats.failedEntries += failed;
        const out = Buffer.from(JSON.stringify({ FailedEntryCount: failed, Entries: merged }));
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'content-length': String(out.length) });
        res.end(out);
        return;
      }
      default:
        sendError(res, op, errorFor(fault, op));
        return;
    }
    bump(stats.forwarded, key(op));
    relay(res, await forward(target, req, body));
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`fault proxy: ${(error as Error).message}`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    stats,
    setRules(next) {
      rules = next;
    },
    resetStats() {
      stats.forwarded = {};
      stats.injected = {};
      stats.failedEntries = 0;
      stats.requests = 0;
    },
    injectedCount(kind) {
      return Object.entries(stats.injected)
        .filter(([k]) => !kind || k.endsWith(`/${kind}`))
        .reduce((n, [, v]) => n + v, 0);
    },
    forwardedCount(patterns) {
      return Object.entries(stats.forwarded)
        .filter(([k]) => {
          if (!patterns) return true;
          const [service, name] = k.split(':') as [string, string];
          return matches({ match: patterns, probability: 1, kinds: [] }, { service, name, protocol: 'json' });
        })
        .reduce((n, [, v]) => n + v, 0);
    },
    stop() {
      for (const res of held) res.socket?.destroy();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
