import { describe, expect, it } from 'vitest';
import { errorCode, isRetryable, RemediationError } from '../../controllers/core/errors.js';

const awsError = (name: string, status?: number) =>
  Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

describe('isRetryable', () => {
  it.each([
    ['ThrottlingException', 400],
    ['RequestLimitExceeded', 503],
    ['SlowDown', 503],
    ['TooManyRequestsException', 429],
    ['InternalError', 500],
    ['ServiceUnavailable', 503],
    ['TimeoutError', undefined],
  ])('%s (%s) is transient', (name, status) => {
    expect(isRetryable(awsError(name, status))).toBe(true);
  });

  it.each([
    ['AccessDenied', 403],
    ['AccessDeniedException', 400],
    ['UnauthorizedOperation', 403],
    ['NoSuchBucket', 404],
    ['InvalidVpcID.NotFound', 400],
    ['TrailNotFoundException', 400],
    ['ValidationException', 400],
    ['SomethingNew', 400],
  ])('%s (%s) is terminal', (name, status) => {
    expect(isRetryable(awsError(name, status))).toBe(false);
  });

  it('an unknown 5xx is transient; our own errors say for themselves', () => {
    expect(isRetryable(awsError('Weird', 502))).toBe(true);
    expect(isRetryable(new RemediationError('X', 'x', false))).toBe(false);
    expect(errorCode(new RemediationError('X', 'x', false))).toBe('X');
    expect(errorCode('string error')).toBe('UnknownError');
  });
});
