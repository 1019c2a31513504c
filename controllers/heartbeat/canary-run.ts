/**
 * The event-path canary's AWS side (#13 item 5): the state items in the controllers' state table, the
 * tag write, one beat's canary step and the receiver of the canary's CloudTrail event. The decisions
 * are in canary.ts.
 */
import { CloudWatchLogsClient, TagResourceCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { AwsClients } from '../core/aws.js';
import { errorCode } from '../core/errors.js';
import type { AuditRecord } from '../core/record.js';
import { StateTableStore } from '../core/state-table.js';
import {
  arrivalKey,
  CANARY_TAG,
  type CanaryStatus,
  canaryFailure,
  canaryLogGroupArn,
  canaryRecord,
  canaryStatus,
  describeCanary,
  parseCanaryEvent,
  parseWritten,
  type RawItem,
  shouldWriteCanary,
  WRITTEN_KEY,
  type WrittenCanary,
} from './canary.js';

/** State items live a week: long enough for any bound, short enough to clean up after a removed deployment. */
const ITEM_TTL_S = 7 * 86_400;

/** Where the canary's state lives: the last canary written, and each arrival by beat id. */
export interface CanaryStore {
  written(): Promise<RawItem>;
  arrival(beat: string): Promise<RawItem>;
  recordWritten(w: WrittenCanary): Promise<void>;
  recordArrival(beat: string, arrivedAtMs: number, eventId: string): Promise<void>;
}

/** The canary's items in the state table: `canary#written` and `canary#arrived#<beat>`, with the table's TTL. */
export class DynamoCanaryStore extends StateTableStore implements CanaryStore {
  written(): Promise<RawItem> {
    return this.get(WRITTEN_KEY);
  }

  arrival(beat: string): Promise<RawItem> {
    return this.get(arrivalKey(beat));
  }

  async recordWritten(w: WrittenCanary): Promise<void> {
    await this.put(WRITTEN_KEY, w.writtenAtMs, { beat: { S: w.beat }, writtenAtMs: { N: String(w.writtenAtMs) } });
  }

  async recordArrival(beat: string, arrivedAtMs: number, eventId: string): Promise<void> {
    await this.put(arrivalKey(beat), arrivedAtMs, {
      beat: { S: beat },
      arrivedAtMs: { N: String(arrivedAtMs) },
      eventId: { S: eventId || '-' },
    });
  }

  private async get(pk: string): Promise<RawItem> {
    const out = await this.db.send(new GetItemCommand({ TableName: this.table, Key: { pk: { S: pk } }, ConsistentRead: true }));
    return out.Item as RawItem;
  }

  private async put(pk: string, atMs: number, attrs: Record<string, { S: string } | { N: string }>): Promise<void> {
    const expiresAt = { N: String(Math.ceil(atMs / 1000) + ITEM_TTL_S) };
    await this.db.send(new PutItemCommand({ TableName: this.table, Item: { pk: { S: pk }, ...attrs, expiresAt } }));
  }
}

/** Where the heartbeat runs, and as whom. */
export interface CanaryPlace {
  account: string;
  region: string;
  partition: string;
}

export interface CanaryOptions {
  store: CanaryStore;
  clients: AwsClients;
  /** `controller.canaryWithinMinutes`, in ms. */
  boundMs: number;
}

/** What one beat's canary step found: a line for the heartbeat record, and a `failed` record if it failed. */
export interface CanaryStep {
  line: string;
  failed: AuditRecord | null;
}

/**
 * One beat's canary step: judge the previous canary, then (unless it is still pending) write the next
 * one: tag the canary log group with this beat's id, then remember it. Never throws: a read or write
 * error is a `failed` record naming it.
 */
export async function canaryStep(
  o: CanaryOptions,
  at: CanaryPlace & { beat: string; eventId: string | null; now: Date },
): Promise<CanaryStep> {
  const nowMs = at.now.getTime();
  const failed = (reason: string, observed: unknown) =>
    canaryRecord({ ...at, outcome: 'failed', reason, observed, eventId: at.eventId, now: at.now });
  let status: CanaryStatus;
  try {
    status = await previousCanary(o, nowMs);
  } catch (error) {
    const reason = `the event path canary's state could not be read from the state table: ${errorCode(error)}`;
    return { line: `event path: ${reason}`, failed: failed(reason, errorCode(error)) };
  }
  const failure = canaryFailure(status, at.region, o.boundMs);
  if (!shouldWriteCanary(status)) return { line: describeCanary(status, null), failed: null };
  try {
    await o.clients
      .get(CloudWatchLogsClient, at.region)
      .send(new TagResourceCommand({ resourceArn: canaryLogGroupArn(at), tags: { [CANARY_TAG]: at.beat } }));
    await o.store.recordWritten({ beat: at.beat, writtenAtMs: nowMs });
  } catch (error) {
    const reason = `the event path canary could not be written (${errorCode(error)})${failure ? `; and ${failure}` : ''}`;
    return { line: `event path: ${reason}`, failed: failed(reason, errorCode(error)) };
  }
  return { line: describeCanary(status, at.beat), failed: failure ? failed(failure, status.kind) : null };
}

async function previousCanary(o: CanaryOptions, nowMs: number): Promise<CanaryStatus> {
  const written = await o.store.written();
  const parsed = parseWritten(written, nowMs);
  const arrival = parsed?.ok ? await o.store.arrival(parsed.value.beat) : undefined;
  return canaryStatus({ written, arrival, nowMs, boundMs: o.boundMs });
}

/**
 * The receiver: the canary rule hands the heartbeat the CloudTrail event of its own tag write; record
 * its arrival. No audit record for an arrival (the next beat's record says it came back: one record
 * per beat, not two); an event that is not the canary's gets an `ignored` record with the reason.
 * A state table error throws, so that Lambda's async retry delivers the arrival again.
 */
export async function receiveCanary(
  event: unknown,
  o: { store: CanaryStore; place: CanaryPlace; roleArn: string; now: Date },
): Promise<{ arrived: string } | { ignored: AuditRecord }> {
  const parsed = parseCanaryEvent(event, { ...o.place, roleArn: o.roleArn });
  if (!parsed.ok) {
    const id = (event as { id?: unknown } | null)?.id;
    const eventId = typeof id === 'string' ? id.slice(0, 256) : null;
    const reason = `not the event path canary's CloudTrail event: ${parsed.reason}`;
    return { ignored: canaryRecord({ ...o.place, outcome: 'ignored', reason, eventId, now: o.now }) };
  }
  await o.store.recordArrival(parsed.value.beat, o.now.getTime(), parsed.value.eventId);
  return { arrived: parsed.value.beat };
}
