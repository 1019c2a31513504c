import { LogwardenError } from '../../controllers/core/errors.js';

/** An audit source could not be read (missing file, unknown log group, stream or bucket, access denied). */
export class AuditSourceError extends LogwardenError {
  /** The source as the user named it, e.g. `s3://archive/audit/`. */
  readonly source: string;
  constructor(source: string, message: string, options?: { cause?: unknown }) {
    super('AuditSourceUnreadable', `${source}: ${message}`, options);
    this.source = source;
  }
}

/** The HTML report could not be written. */
export class AuditReportError extends LogwardenError {
  readonly file: string;
  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super('AuditReportUnwritable', `${file}: ${message}`, options);
    this.file = file;
  }
}

/**
 * No public key to verify with (`--verify`): the key file is unreadable or not a public key, or
 * GetPublicKey failed (no credentials, no region, access denied, no such key). Exit code 2.
 */
export class SigningKeyError extends LogwardenError {
  /** The key file or key id as given. */
  readonly key: string;
  constructor(key: string, message: string, options?: { cause?: unknown }) {
    super('SigningKeyUnavailable', `${key}: ${message}`, options);
    this.key = key;
  }
}
