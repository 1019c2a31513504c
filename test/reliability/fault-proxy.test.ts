/**
 * The fault-injection proxy itself (test/helpers/fault-proxy.ts): it names operations on every
 * protocol logwarden uses, answers faults the way the SDK expects them per protocol, forwards only
 * the passing entries of a partial PutEvents, and is reproducible from its seed.
 */
import { CloudTrailClient, DescribeTrailsCommand } from '@aws-sdk/client-cloudtrail';
import { DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GuardDutyClient, ListDetectorsCommand } from '@aws-sdk/client-guardduty';
import { CreateBucketCommand, GetBucketLoggingCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsClients } from '../../controllers/core/aws.js';
import { errorCode, isRetryable } from '../../controllers/core/errors.js';
import { AUDIT_DETAIL_TYPE, AUDIT_SOURCE } from '../../controllers/core/record.js';
import { CREDENTIALS, createAuditBus, REGION, useEmulator } from '../helpers/emulator.js';
import { type FaultKind, type FaultProxy, startFaultProxy } from '../helpers/fault-proxy.js';
import { record } from '../helpers/records.js';

const emu = useEmulator();
let proxy: FaultProxy | undefined;
afterEach(async () => {
  await proxy?.stop();
  proxy = undefined;
});

const through = (p: FaultProxy, opts: { maxAttempts?: number; requestTimeoutMs?: number } = {}) =>
  new AwsClients({ endpoint: p.endpoint, credentials: CREDENTIALS, maxAttempts: opts.maxAttempts ?? 1, ...opts });

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

describe('fault proxy', () => {
  it('names the operation on every protocol and forwards it', async () => {
    proxy = await startFaultProxy({ target: emu.endpoint });
    await emu
      .clients()
      .get(S3Client, REGION)
      .send(new CreateBucketCommand({ Bucket: 'fault-proxy-bucket' }));
    const c = through(proxy);
    await c.get(CloudTrailClient, REGION).send(new DescribeTrailsCommand({}));
    await c.get(EC2Client, REGION).send(new DescribeVpcsCommand({}));
    await c.get(S3Client, REGION).send(new ListBucketsCommand({}));
    await c.get(S3Client, REGION).send(new GetBucketLoggingCommand({ Bucket: 'fault-proxy-bucket' }));
    await c.get(GuardDutyClient, REGION).send(new ListDetectorsCommand({}));
    expect(proxy.stats.forwarded).toEqual({
      'cloudtrail:DescribeTrails': 1,
      'ec2:DescribeVpcs': 1,
      's3:ListBuckets': 1,
      's3:GetBucketLogging': 1,
      'guardduty:ListDetectors': 1,
    });
    expect(proxy.injectedCount()).toBe(0);
  });

  it.each([
    ['throttle', 'cloudtrail', 'ThrottlingException', 400],
    ['throttle', 'ec2', 'RequestLimitExceeded', 503],
    ['throttle', 's3', 'SlowDown', 503],
    ['throttle', 'guardduty', 'ThrottlingException', 400],
    ['http429', 'cloudtrail', 'TooManyRequestsException', 429],
    ['http500', 'ec2', 'InternalError', 500],
    ['http503', 'guardduty', 'ServiceUnavailableException', 503],
    ['denied', 'cloudtrail', 'AccessDeniedException', 403],
    ['denied', 'ec2', 'UnauthorizedOperation', 403],
    ['denied', 's3', 'AccessDenied', 403],
    ['denied', 'guardduty', 'AccessDeniedException', 403],
  ] as const)('%s on %s: the SDK sees %s (HTTP %i)', async (kind, service, code, status) => {
    proxy = await startFaultProxy({ target: emu.endpoint, rules: [{ match: [`${service}:*`], probability: 1, kinds: [kind] }] });
    const c = through(proxy);
    const call = {
      cloudtrail: () => c.get(CloudTrailClient, REGION).send(new DescribeTrailsCommand({})),
      ec2: () => c.get(EC2Client, REGION).send(new DescribeVpcsCommand({})),
      s3: () => c.get(S3Client, REGION).send(new ListBucketsCommand({})),
      guardduty: () => c.get(GuardDutyClient, REGION).send(new ListDetectorsCommand({})),
    }[service];
    const error = await failure(call());
    expect(errorCode(error)).toBe(code);
    expect((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode).toBe(status);
    expect(isRetryable(error)).toBe(kind !== 'denied');
    expect(proxy.stats.forwarded).toEqual({});
  });

  it.each(['reset', 'timeout'] as FaultKind[])('%s: a transient network error, and the SDK retries it', async (kind) => {
    proxy = await startFaultProxy({
      target: emu.endpoint,
      holdMs: 1_000,
      rules: [{ match: ['ec2:*'], probability: 1, kinds: [kind] }],
    });
    const error = await failure(
      through(proxy, { maxAttempts: 2, requestTimeoutMs: 300 }).get(EC2Client, REGION).send(new DescribeVpcsCommand({})),
    );
    expect(isRetryable(error)).toBe(true);
    expect(proxy.stats.injected).toEqual({ [`ec2:DescribeVpcs/${kind}`]: 2 });
    expect(proxy.stats.forwarded).toEqual({});
  });

  it('reset-after: the emulator applies the call, the answer is lost', async () => {
    proxy = await startFaultProxy({
      target: emu.endpoint,
      rules: [{ match: ['ec2:DescribeVpcs'], probability: 1, kinds: ['reset-after'] }],
    });
    const error = await failure(through(proxy).get(EC2Client, REGION).send(new DescribeVpcsCommand({})));
    expect(isRetryable(error)).toBe(true);
    expect(proxy.stats.forwarded).toEqual({ 'ec2:DescribeVpcs': 1 });
  });

  it('partial PutEvents: only the passing entries reach the bus; the others come back with an ErrorCode', async () => {
    const audit = await createAuditBus(emu.clients());
    proxy = await startFaultProxy({
      target: emu.endpoint,
      seed: 7,
      rules: [{ match: ['events:PutEvents'], probability: 1, kinds: ['partial'] }],
    });
    const records = Array.from({ length: 10 }, () => record());
    const out = await through(proxy)
      .get(EventBridgeClient, REGION)
      .send(
        new PutEventsCommand({
          Entries: records.map((r) => ({
            EventBusName: 'logwarden-audit',
            Source: AUDIT_SOURCE,
            DetailType: AUDIT_DETAIL_TYPE,
            Detail: JSON.stringify(r),
          })),
        }),
      );
    const failed = (out.Entries ?? []).map((e) => !!e.ErrorCode);
    expect(out.FailedEntryCount).toBe(failed.filter(Boolean).length);
    expect(out.FailedEntryCount).toBeGreaterThan(0);
    expect(out.FailedEntryCount).toBeLessThan(10);
    const onBus = (await audit.drain()).map((r) => r.id).sort();
    expect(onBus).toEqual(
      records
        .filter((_, i) => !failed[i])
        .map((r) => r.id)
        .sort(),
    );
    expect(proxy.stats.failedEntries).toBe(out.FailedEntryCount);
  });

  it('is reproducible: the same seed injects the same faults into the same calls', async () => {
    const run = async () => {
      const p = await startFaultProxy({
        target: emu.endpoint,
        seed: 42,
        rules: [{ match: ['ec2:*'], probability: 0.5, kinds: ['throttle', 'http500', 'http503'] }],
      });
      const seen: string[] = [];
      for (let i = 0; i < 20; i++) {
        const e = await through(p)
          .get(EC2Client, REGION)
          .send(new DescribeVpcsCommand({}))
          .then(
            () => 'ok',
            (err: unknown) => errorCode(err),
          );
        seen.push(e);
      }
      await p.stop();
      return seen;
    };
    const first = await run();
    expect(first).toEqual(await run());
    expect(first.filter((s) => s === 'ok').length).toBeGreaterThan(2);
    expect(first.filter((s) => s !== 'ok').length).toBeGreaterThan(2);
  });
});
