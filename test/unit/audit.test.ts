import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { SignatureVerifier } from '../../cli/audit/verify.js';
import { batchEntries, EventBridgeAuditPublisher, entrySize, fitRecord, MAX_DETAIL_BYTES } from '../../controllers/core/audit.js';
import { AwsClients } from '../../controllers/core/aws.js';
import { AuditDeliveryError } from '../../controllers/core/errors.js';
import { AUDIT_FALLBACK_MARKER, createLogger } from '../../controllers/core/log.js';
import { auditRecordSchema } from '../../controllers/core/record.js';
import type { AuditSigner } from '../../controllers/core/signing.js';
import { record } from '../helpers/records.js';
import { localSigner, p256, refusingSigner } from '../helpers/signing.js';

const eb = mockClient(EventBridgeClient);

function publisher(bus = 'logwarden-audit', signer?: AuditSigner) {
  const logger = createLogger('test');
  const errors: unknown[][] = [];
  vi.spyOn(logger, 'error').mockImplementation((...args: unknown[]) => {
    errors.push(args);
  });
  vi.spyOn(logger, 'warn').mockImplementation(() => undefined);
  const sleeps: number[] = [];
  const p = new EventBridgeAuditPublisher({
    clients: new AwsClients({ credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }),
    eventBus: bus,
    region: 'eu-west-1',
    logger,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    signer,
  });
  return { p, errors, sleeps };
}

const sentEntries = () => eb.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries as PutEventsRequestEntry[]);

describe('EventBridgeAuditPublisher', () => {
  beforeEach(() => {
    eb.reset();
  });

  it('sends records with source logwarden and the documented detail-type, 10 per call', async () => {
    eb.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({
      FailedEntryCount: 0,
      Entries: input.Entries.map((_, i) => ({ EventId: `id-${i}` })),
    }));
    const { p } = publisher();
    const records = Array.from({ length: 23 }, () => record());
    await p.publish(records);
    const calls = sentEntries();
    expect(calls.map((c) => c.length)).toEqual([10, 10, 3]);
    const first = calls[0]?.[0];
    expect(first).toMatchObject({ Source: 'logwarden', DetailType: 'logwarden audit record', EventBusName: 'logwarden-audit' });
    expect(JSON.parse(first?.Detail ?? '{}').id).toBe(records[0]?.id);
  });

  it('resends only the failed entries, with backoff, until they are taken', async () => {
    eb.on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 2,
        Entries: [
          { EventId: 'a' },
          { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' },
          { EventId: 'c' },
          { ErrorCode: 'InternalFailure' },
        ],
      })
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ EventId: 'b' }, { ErrorCode: 'InternalFailure' }] })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'd' }] });
    const { p, sleeps, errors } = publisher();
    const records = [record(), record(), record(), record()];
    await p.publish(records);
    const calls = sentEntries();
    expect(calls.map((c) => c.map((e) => JSON.parse(e.Detail ?? '{}').id))).toEqual([
      records.map((r) => r.id),
      [records[1]?.id, records[3]?.id],
      [records[3]?.id],
    ]);
    expect(sleeps).toEqual([100, 200]);
    expect(errors).toEqual([]);
  });

  it('after the last retry, writes each undelivered record in full to the log with the marker and throws', async () => {
    eb.on(PutEventsCommand).rejects(Object.assign(new Error('service unavailable'), { name: 'ServiceUnavailable' }));
    const { p, errors, sleeps } = publisher();
    const records = [record(), record()];
    const error = await p.publish(records).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuditDeliveryError);
    expect((error as AuditDeliveryError).undelivered).toBe(2);
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(5);
    expect(sleeps).toEqual([100, 200, 400, 800]);
    expect(errors).toHaveLength(2);
    expect(errors[0]?.[0]).toBe(AUDIT_FALLBACK_MARKER);
    expect(errors.map((e) => (e[1] as { record: { id: string } }).record.id)).toEqual(records.map((r) => r.id));
  });

  it('does not retry a bus that does not exist or denies access', async () => {
    eb.on(PutEventsCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    const { p, errors } = publisher();
    await expect(p.publish([record()])).rejects.toBeInstanceOf(AuditDeliveryError);
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(1);
    expect(errors).toHaveLength(1);
  });

  it('targets the region of a bus given by ARN', async () => {
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'x' }] });
    const { p } = publisher('arn:aws:events:us-west-2:999999999999:event-bus/central-audit');
    await p.publish([record()]);
    const client = eb.commandCalls(PutEventsCommand)[0]?.thisValue as EventBridgeClient;
    expect(await client.config.region()).toBe('us-west-2');
  });
});

describe('EventBridgeAuditPublisher signing', () => {
  const key = p256();
  const accept = () =>
    eb.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({
      FailedEntryCount: 0,
      Entries: input.Entries.map((_, i) => ({ EventId: `id-${i}` })),
    }));
  beforeEach(() => {
    eb.reset();
  });

  it('signs once per publish, whatever the number of records and PutEvents calls', async () => {
    accept();
    const signer = localSigner(key.privateKey);
    const { p } = publisher('logwarden-audit', signer);
    await p.publish(Array.from({ length: 23 }, () => record()));
    expect(signer.calls).toBe(1);
    const details = sentEntries()
      .flat()
      .map((e) => JSON.parse(e.Detail ?? '{}') as Record<string, unknown>);
    expect(details).toHaveLength(23);
    const verifier = new SignatureVerifier({ key: key.publicKey, keyId: signer.keyId, source: 'test' });
    expect(new Set(details.map((d) => verifier.check(d).status))).toEqual(new Set(['verified']));
  });

  it('signs the record as sent: a truncated record verifies as truncated', async () => {
    accept();
    const signer = localSigner(key.privateKey);
    const { p } = publisher('logwarden-audit', signer);
    await p.publish([record({ drift: [{ property: 'x', observed: 'y'.repeat(300_000), desired: null }] }), record()]);
    const [sent] = sentEntries().flat();
    const detail = JSON.parse(sent?.Detail ?? '{}') as Record<string, unknown>;
    expect(detail.truncated).toBe(true);
    expect(new SignatureVerifier({ key: key.publicKey, keyId: signer.keyId, source: 'test' }).check(detail).status).toBe(
      'verified',
    );
    expect(entrySize(sent as PutEventsRequestEntry)).toBeLessThan(256 * 1024);
  });

  it('when signing fails, publishes every record unsigned with the reason and logs it', async () => {
    accept();
    const { p, errors } = publisher('logwarden-audit', refusingSigner());
    await p.publish([record(), record()]);
    const details = sentEntries()
      .flat()
      .map((e) => JSON.parse(e.Detail ?? '{}') as { integrity: { status: string; reason: string } });
    expect(details.map((d) => d.integrity.status)).toEqual(['unsigned', 'unsigned']);
    expect(details[0]?.integrity.reason).toMatch(/^signing failed: AccessDeniedException/);
    expect(errors.map((e) => (e[1] as { marker?: string }).marker)).toEqual(['LOGWARDEN_AUDIT_UNSIGNED']);
  });

  it('without a signer, records say they are unsigned', async () => {
    accept();
    const { p } = publisher();
    await p.publish([record()]);
    const detail = JSON.parse(sentEntries()[0]?.[0]?.Detail ?? '{}');
    expect(detail.integrity).toEqual({ status: 'unsigned', reason: 'no signing key configured (policy audit.signingKey)' });
  });
});

describe('entry limits', () => {
  it('an oversized record is clipped into one valid entry and marked truncated', () => {
    const huge = record({ drift: [{ property: 'advancedEventSelectors', observed: 'x'.repeat(400_000), desired: [] }] });
    const { record: fitted, truncated } = fitRecord(huge);
    expect(truncated).toBe(true);
    expect(fitted.truncated).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(fitted))).toBeLessThanOrEqual(MAX_DETAIL_BYTES);
    expect(auditRecordSchema.safeParse(fitted).success).toBe(true);
    expect(fitted.id).toBe(huge.id);
  });

  it('thousands of drift entries are cut down with a count', () => {
    const drift = Array.from({ length: 5000 }, (_, i) => ({
      property: `p${i}`,
      observed: 'o'.repeat(100),
      desired: 'd'.repeat(100),
    }));
    const { record: fitted } = fitRecord(record({ drift }));
    expect(Buffer.byteLength(JSON.stringify(fitted))).toBeLessThanOrEqual(MAX_DETAIL_BYTES);
    expect(fitted.drift.at(-1)).toMatchObject({ property: '(truncated)' });
  });

  it('a small record is left alone', () => {
    const r = record();
    expect(fitRecord(r)).toEqual({ record: r, truncated: false });
  });

  it('batches by count and by total size', () => {
    expect(batchEntries(Array.from({ length: 25 }, () => ({ size: 10 }))).map((b) => b.length)).toEqual([10, 10, 5]);
    expect(batchEntries(Array.from({ length: 5 }, () => ({ size: 100 * 1024 }))).map((b) => b.length)).toEqual([2, 2, 1]);
  });

  it('counts entry size as EventBridge does', () => {
    expect(entrySize({ Source: 'ab', DetailType: 'cd', Detail: 'é', Time: new Date() })).toBe(2 + 2 + 2 + 14);
  });
});
