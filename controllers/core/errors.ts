/**
 * The base error class and the shared error helpers. Every logwarden error extends
 * `LogwardenError` (a guardrail defines its own subclasses next to its code) and carries its context
 * as fields. Errors are told apart by class or by code (`errorCode`: our `code`, else the AWS SDK's
 * `name`), and `isRetryable` decides from class, code and HTTP status; message text is for people.
 */
export class LogwardenError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The policy document is missing, not JSON or does not match the schema. Raised at start-up. */
export class PolicyError extends LogwardenError {
  readonly issues: readonly string[];
  constructor(message: string, issues: readonly string[] = [], options?: { cause?: unknown }) {
    super('InvalidPolicy', message, options);
    this.issues = issues;
  }
}

/** Runtime configuration (environment, CLI flags) is invalid. Raised at start-up. */
export class ConfigError extends LogwardenError {
  readonly field: string;
  constructor(field: string, message: string) {
    super('InvalidConfig', `${field}: ${message}`);
    this.field = field;
  }
}

/** Audit records could not be delivered to the audit bus after all retries. */
export class AuditDeliveryError extends LogwardenError {
  readonly undelivered: number;
  constructor(undelivered: number, options?: { cause?: unknown }) {
    super(
      'AuditDeliveryFailed',
      `${undelivered} audit record(s) could not be delivered to the audit bus; they were written to the log with the fallback marker`,
      options,
    );
    this.undelivered = undelivered;
  }
}

/** A remediation step that could not run; carries whether a retry may help. */
export class RemediationError extends LogwardenError {
  readonly retryable: boolean;
  constructor(code: string, message: string, retryable: boolean, options?: { cause?: unknown }) {
    super(code, message, options);
    this.retryable = retryable;
  }
}

/**
 * A log bucket cannot take the logs: missing, in another region, its policy does not let the log
 * writer in, or logwarden may not read it. Terminal: the infrastructure owns log buckets and their
 * policies, never logwarden; the message ends with the guardrail's runbook.
 */
export class LogBucketError extends RemediationError {
  readonly logBucket: string;
  constructor(
    code: 'LogBucketMissing' | 'LogBucketWrongRegion' | 'LogBucketNotPermitted' | 'LogBucketUnreadable',
    runbook: string,
    logBucket: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(
      code,
      `${message}; logwarden does not create or re-permission log buckets (the infrastructure owns them): see ${runbook}`,
      false,
      options,
    );
    this.logBucket = logBucket;
  }
}

const TERMINAL_CODES = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'UnauthorizedAccess',
  'AuthorizationError',
  'InvalidClientTokenId',
  'NotAuthorized',
  'OrganizationNotInAllFeaturesModeException',
  'NotOrganizationMasterAccountException',
  'InsufficientDependencyServiceAccessPermissionException',
  'CloudTrailAccessNotEnabledException',
  'ValidationException',
  'InvalidParameterValue',
  'InvalidParameterCombinationException',
  'InvalidParameterException',
]);

/** Transient by nature, whatever their HTTP status (AWS throttles with 400 as often as with 429). */
const TRANSIENT_CODES = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'SlowDown',
  'ProvisionedThroughputExceededException',
  'BandwidthLimitExceeded',
  'PriorRequestNotComplete',
  'EC2ThrottledException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TransactionInProgressException',
  'InternalError',
  'InternalFailure',
  'InternalServerError',
  'InternalServerErrorException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TimeoutError',
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
]);

/** The AWS error code (`name`) of an SDK error, or a generic code for anything else. */
export function errorCode(error: unknown): string {
  if (error instanceof LogwardenError) return error.code;
  if (error && typeof error === 'object') {
    const e = error as { name?: unknown; Code?: unknown; code?: unknown };
    for (const v of [e.name, e.Code, e.code]) {
      if (typeof v === 'string' && v !== 'Error' && v.length > 0) return v;
    }
  }
  return 'UnknownError';
}

/** A short human-readable message for an error of any kind. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

/**
 * Is a retry by the caller (EventBridge async retry) useful? Access denied, validation and
 * not-found style errors are terminal: retrying them forever only hides the problem.
 */
export function isRetryable(error: unknown): boolean {
  if (error instanceof RemediationError) return error.retryable;
  const code = errorCode(error);
  if (TRANSIENT_CODES.has(code)) return true;
  if (TERMINAL_CODES.has(code)) return false;
  if (/NotFound|NoSuch|Invalid|Denied|Unauthorized|Malformed|Conflict|Exists/i.test(code)) return false;
  const meta = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata;
  const status = meta?.httpStatusCode;
  if (typeof status === 'number' && status >= 400 && status < 500 && status !== 429) return false;
  return true;
}
