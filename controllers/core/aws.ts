/** Called once per SDK command (before retries) with the IAM action it needs. */
type CallRecorder = (call: { action: string; region: string }) => void;

export interface AwsOptions {
  /** Endpoint override. When unset the SDK's standard configuration applies (`AWS_ENDPOINT_URL`, ...). */
  endpoint?: string;
  /** Attempts per call. Unset: the SDK default (standard retry mode, 3 attempts). */
  maxAttempts?: number;
  /** `standard` or `adaptive` (client-side rate limiting for throttling-prone sweeps). */
  retryMode?: 'standard' | 'adaptive';
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  recorder?: CallRecorder;
  /** Per-attempt timeout of an HTTP request (and of its connection), in ms. Unset: the SDK default (none). */
  requestTimeoutMs?: number;
}

const SERVICE_PREFIX: Record<string, string> = {
  CloudTrailClient: 'cloudtrail',
  EC2Client: 'ec2',
  S3Client: 's3',
  GuardDutyClient: 'guardduty',
  ConfigServiceClient: 'config',
  EventBridgeClient: 'events',
  STSClient: 'sts',
  SQSClient: 'sqs',
  IAMClient: 'iam',
  CloudWatchLogsClient: 'logs',
  DynamoDBClient: 'dynamodb',
  ElasticLoadBalancingV2Client: 'elasticloadbalancing',
};

/** Where the IAM action differs from the API operation's name. */
const ACTION_EXCEPTIONS: Record<string, string> = {
  's3:ListBuckets': 's3:ListAllMyBuckets',
  's3:HeadBucket': 's3:ListBucket',
  's3:ListObjectsV2': 's3:ListBucket',
  's3:HeadObject': 's3:GetObject',
  's3:GetBucketLifecycleConfiguration': 's3:GetLifecycleConfiguration',
  's3:PutBucketLifecycleConfiguration': 's3:PutLifecycleConfiguration',
  // There is no s3:DeleteBucketLifecycle action: the delete is authorised by s3:PutLifecycleConfiguration.
  's3:DeleteBucketLifecycle': 's3:PutLifecycleConfiguration',
};

/** The IAM action an SDK command needs, e.g. (`CloudTrailClient`, `StartLoggingCommand`) → `cloudtrail:StartLogging`. */
function iamActionFor(clientName: string, commandName: string): string {
  const prefix = SERVICE_PREFIX[clientName] ?? clientName.replace(/Client$/, '').toLowerCase();
  const action = `${prefix}:${commandName.replace(/Command$/, '')}`;
  return ACTION_EXCEPTIONS[action] ?? action;
}

function isLoopback(endpoint: string | undefined): boolean {
  if (!endpoint) return false;
  try {
    const host = new URL(endpoint).hostname;
    return host === 'localhost' || host.startsWith('127.') || host === '[::1]';
  } catch {
    return false;
  }
}

/** The part of an SDK v3 client that logwarden touches. */
interface SdkClient {
  middlewareStack: {
    // biome-ignore lint/suspicious/noExplicitAny: the SDK's middleware types are generic per client.
    add(middleware: (next: any, context: any) => any, options: { step: 'initialize'; name: string }): void;
  };
}

// biome-ignore lint/suspicious/noExplicitAny: SDK client constructors differ in their config types.
type ClientCtor<T> = new (config: any) => T;

/**
 * One lazily created SDK client per service and region, configured once. Modular clients only:
 * each guardrail imports the client classes it needs, so its bundle holds nothing else.
 */
export class AwsClients {
  readonly options: AwsOptions;
  private readonly cache = new Map<string, unknown>();

  constructor(options: AwsOptions = {}) {
    const endpoint = options.endpoint ?? process.env.AWS_ENDPOINT_URL;
    this.options = {
      ...options,
      endpoint,
      // Against the local emulator unimplemented calls answer 500: fail fast instead of retrying.
      maxAttempts: options.maxAttempts ?? (isLoopback(endpoint) ? 1 : undefined),
    };
  }

  /**
   * The client of `ctor` for `region`. A guardrail may prefer a retry mode (bucket sweeps want
   * `adaptive` for S3 `SlowDown`); a mode set for the whole runtime wins over the preference.
   */
  get<T extends SdkClient>(ctor: ClientCtor<T>, region: string, preferences: { retryMode?: 'standard' | 'adaptive' } = {}): T {
    const retryMode = this.options.retryMode ?? preferences.retryMode;
    const key = `${ctor.name}|${region}|${retryMode ?? ''}`;
    const existing = this.cache.get(key);
    if (existing) return existing as T;
    const { endpoint, maxAttempts, credentials, recorder, requestTimeoutMs } = this.options;
    const config: Record<string, unknown> = { region };
    if (endpoint) config.endpoint = endpoint;
    if (maxAttempts !== undefined) config.maxAttempts = maxAttempts;
    if (retryMode) config.retryMode = retryMode;
    if (credentials) config.credentials = credentials;
    if (requestTimeoutMs !== undefined) {
      // throwOnRequestTimeout: without it the SDK only logs a warning when the timeout passes.
      config.requestHandler = {
        requestTimeout: requestTimeoutMs,
        connectionTimeout: requestTimeoutMs,
        throwOnRequestTimeout: true,
      };
    }
    // Path-style addressing: needed by the emulator, harmless for other clients.
    if (endpoint && ctor.name === 'S3Client') config.forcePathStyle = true;
    const client = new ctor(config);
    if (recorder) {
      client.middlewareStack.add(
        (next: (args: unknown) => Promise<unknown>, context: { clientName?: string; commandName?: string }) =>
          async (args: unknown) => {
            recorder({ action: iamActionFor(String(context.clientName), String(context.commandName)), region });
            return next(args);
          },
        { step: 'initialize', name: 'logwardenCallRecorder' },
      );
    }
    this.cache.set(key, client);
    return client;
  }
}
