import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { AwsClients } from './aws.js';
import { AuditDeliveryError, errorCode } from './errors.js';
import { KmsAuditSigner } from './kms.js';
import { AUDIT_FALLBACK_MARKER, type Logger } from './log.js';
import type { Policy } from './policy.js';
import { AUDIT_DETAIL_TYPE, AUDIT_SOURCE, type AuditRecord } from './record.js';
import { type AuditSigner, signRecords } from './signing.js';

/** EventBridge limits: 10 entries and 256 KB per PutEvents call; one entry may use the whole 256 KB. */
const MAX_ENTRIES_PER_CALL = 10;
const MAX_REQUEST_BYTES = 256 * 1024;
/** Keep records well under the limit so the envelope and the signature (`integrity`, < 4 KB) never tip them over. */
export const MAX_DETAIL_BYTES = 240 * 1024;
const TRUNCATED_VALUE_CHARS = 2048;

/** Where audit records go. */
export interface AuditSink {
  publish(records: readonly AuditRecord[]): Promise<void>;
}

/** Size of an entry as EventBridge counts it (UTF-8 bytes of its fields, 14 for a time); the bus name is counted too, to stay on the safe side. */
export function entrySize(entry: PutEventsRequestEntry): number {
  let size = entry.Time ? 14 : 0;
  for (const s of [entry.Source, entry.DetailType, entry.Detail, entry.EventBusName]) {
    if (s) size += Buffer.byteLength(s, 'utf8');
  }
  for (const r of entry.Resources ?? []) size += Buffer.byteLength(r, 'utf8');
  return size;
}

function clip(value: unknown): unknown {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (text === undefined || text.length <= TRUNCATED_VALUE_CHARS) return value;
  return `${text.slice(0, TRUNCATED_VALUE_CHARS)}…(${text.length} chars, truncated)`;
}

/**
 * Make a record fit in one EventBridge entry. Large drift values, action errors and the reason are
 * clipped and `truncated` is set; the caller logs the full record so nothing is lost.
 */
export function fitRecord(record: AuditRecord): { record: AuditRecord; truncated: boolean } {
  if (Buffer.byteLength(JSON.stringify(record), 'utf8') <= MAX_DETAIL_BYTES) return { record, truncated: false };
  const clipped: AuditRecord = {
    ...record,
    truncated: true,
    reason: clip(record.reason) as string,
    drift: record.drift.map((d) => ({
      property: clip(d.property) as string,
      observed: clip(d.observed),
      desired: clip(d.desired),
    })),
    actions: record.actions.map((a) => ({
      ...a,
      api: clip(a.api) as string,
      error: a.error === null ? null : (clip(a.error) as string),
    })),
  };
  if (Buffer.byteLength(JSON.stringify(clipped), 'utf8') <= MAX_DETAIL_BYTES) return { record: clipped, truncated: true };
  // Still too big (thousands of drift entries): keep the first ones and say how many were dropped from the entry.
  const keep = Math.max(1, Math.floor(clipped.drift.length / 4));
  const dropped = clipped.drift.length - keep;
  return fitRecord({
    ...clipped,
    drift: [
      ...clipped.drift.slice(0, keep),
      { property: '(truncated)', observed: `${dropped} more drift entries`, desired: null },
    ],
    actions: clipped.actions.slice(0, 50),
  });
}

/** Split entries into PutEvents calls of at most 10 entries and 256 KB. */
export function batchEntries<T extends { size: number }>(entries: readonly T[]): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const e of entries) {
    if (current.length > 0 && (current.length >= MAX_ENTRIES_PER_CALL || bytes + e.size > MAX_REQUEST_BYTES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(e);
    bytes += e.size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

export interface EventBridgePublisherOptions {
  clients: AwsClients;
  /** Bus name or ARN. */
  eventBus: string;
  /** Region of the controller; used when the bus is given by name. */
  region: string;
  logger: Logger;
  /** Resends of failed entries after the first call. */
  retries?: number;
  baseDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Signs each published batch once; without it records are published `unsigned`. */
  signer?: AuditSigner;
}

/**
 * Publishes audit records to the audit bus with PutEvents. Entries that fail (per-entry
 * `FailedEntryCount` answers or a whole failed call) are resent with exponential backoff; records
 * that still fail are written in full to the structured log with the fallback marker and the
 * publish rejects with {@link AuditDeliveryError}, so the invocation fails and is retried.
 */
export class EventBridgeAuditPublisher implements AuditSink {
  private readonly opts: Required<Omit<EventBridgePublisherOptions, 'sleep' | 'signer'>> & {
    sleep: (ms: number) => Promise<void>;
    signer?: AuditSigner;
  };
  private readonly busRegion: string;

  constructor(options: EventBridgePublisherOptions) {
    this.opts = {
      retries: 4,
      baseDelayMs: 100,
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      ...options,
    };
    this.busRegion = /^arn:aws[a-z-]*:events:([a-z0-9-]+):/.exec(options.eventBus)?.[1] ?? options.region;
  }

  async publish(records: readonly AuditRecord[]): Promise<void> {
    const { logger } = this.opts;
    const fitted = records.map((original) => {
      const { record, truncated } = fitRecord(original);
      if (truncated) {
        logger.warn('audit record truncated to fit EventBridge; full record follows', {
          marker: 'LOGWARDEN_AUDIT_TRUNCATED',
          record: original,
        });
      }
      return record;
    });
    // One signature for the whole call, over the records as they are sent (after fitting).
    const signed = await signRecords(fitted, this.opts.signer);
    if (signed.error) {
      logger.error('audit records published unsigned', { marker: 'LOGWARDEN_AUDIT_UNSIGNED', reason: signed.error });
    }
    const entries = signed.records.map((record) => {
      const entry: PutEventsRequestEntry = {
        EventBusName: this.opts.eventBus,
        Source: AUDIT_SOURCE,
        DetailType: AUDIT_DETAIL_TYPE,
        Detail: JSON.stringify(record),
        Time: new Date(record.time),
      };
      return { original: record, entry, size: entrySize(entry) };
    });
    let undelivered = 0;
    for (const batch of batchEntries(entries)) {
      const failed = await this.sendWithRetry(batch);
      for (const f of failed) {
        undelivered++;
        logger.error(AUDIT_FALLBACK_MARKER, { marker: AUDIT_FALLBACK_MARKER, error: f.error, record: f.item.original });
      }
    }
    if (undelivered > 0) throw new AuditDeliveryError(undelivered);
  }

  private async sendWithRetry<T extends { entry: PutEventsRequestEntry }>(
    batch: readonly T[],
  ): Promise<{ item: T; error: string }[]> {
    const client = this.opts.clients.get(EventBridgeClient, this.busRegion);
    let pending: { item: T; error: string }[] = batch.map((item) => ({ item, error: 'not sent' }));
    for (let attempt = 0; attempt <= this.opts.retries && pending.length > 0; attempt++) {
      if (attempt > 0) await this.opts.sleep(this.opts.baseDelayMs * 2 ** (attempt - 1));
      try {
        const out = await client.send(new PutEventsCommand({ Entries: pending.map((p) => p.item.entry) }));
        const results = out.Entries ?? [];
        if ((out.FailedEntryCount ?? 0) === 0 && results.every((r) => !r.ErrorCode)) return [];
        pending = pending
          .map((p, i) => ({ item: p.item, result: results[i] }))
          .filter(({ result }) => !result || !!result.ErrorCode || !result.EventId)
          .map(({ item, result }) => ({
            item,
            error: result?.ErrorCode ? `${result.ErrorCode}: ${result.ErrorMessage ?? ''}` : 'no result for entry',
          }));
      } catch (error) {
        pending = pending.map((p) => ({ item: p.item, error: `${errorCode(error)}: ${(error as Error).message}` }));
        // Access denied or a missing bus will not heal within this invocation.
        if (/AccessDenied|ResourceNotFound|NotFound|Validation/i.test(errorCode(error))) break;
      }
    }
    return pending;
  }
}

/**
 * The publisher to the policy's audit bus, signing with the policy's `audit.signingKey` when it
 * names one. The controllers' runtime and the heartbeat both start here.
 */
export function policyAuditPublisher(
  policy: Policy,
  o: { clients: AwsClients; region: string; logger: Logger },
): EventBridgeAuditPublisher {
  const key = policy.audit.signingKey;
  return new EventBridgeAuditPublisher({
    clients: o.clients,
    eventBus: policy.audit.eventBus,
    region: o.region,
    logger: o.logger,
    signer: key ? new KmsAuditSigner(o.clients, key, o.region) : undefined,
  });
}

/** Collects records in memory (tests, CLI). */
export class MemoryAuditSink implements AuditSink {
  readonly records: AuditRecord[] = [];
  async publish(records: readonly AuditRecord[]): Promise<void> {
    this.records.push(...records);
  }
}
