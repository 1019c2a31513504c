import { type AttributeValue, ConditionalCheckFailedException, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { errorCode, errorMessage, LogwardenError } from './errors.js';
import type { Logger } from './log.js';
import { CLOCK_SKEW_MS, StateTableStore } from './state-table.js';

const MAX_WRITE_ATTEMPTS = 20;

/**
 * Per-resource memory of recent remediations, so that a resource someone (or some IaC pipeline)
 * keeps changing back is not fought forever over a setting: past `maxRemediations` in
 * `windowMinutes` the controller emits an `escalated` record and holds settings-level drift back until
 * the window has passed. Drift that turns logging off is re-applied every time (and still escalated).
 *
 * The store is untrusted: the governed account's admin can write its items. Times in the future are
 * ignored and reported; a store that cannot be read never blocks a remediation.
 */
export interface FlapStore {
  /** Times (epoch ms) of this resource's remediations at or after `sinceMs`. */
  recent(key: string, sinceMs: number): Promise<number[]>;
  /** Note a remediation at `atMs`; entries older than the window (or in the future) are dropped. */
  add(key: string, atMs: number, windowMs: number): Promise<void>;
}

export interface FlapSettings {
  maxRemediations: number;
  windowMinutes: number;
}

export type FlapCheck =
  | { escalate: false; notes: string[] }
  | { escalate: true; count: number; resumesAt: Date; notes: string[] };

/** The decision before a remediation. Times beyond `now` + the clock skew are ignored and noted. Pure. */
export function flapDecision(times: readonly number[], nowMs: number, settings: FlapSettings): FlapCheck {
  const windowMs = settings.windowMinutes * 60_000;
  const future = times.filter((t) => t > nowMs + CLOCK_SKEW_MS).length;
  const notes = future > 0 ? [`${future} flap time(s) in the future ignored (forged or clock skew)`] : [];
  const inWindow = times.filter((t) => t > nowMs - windowMs && t <= nowMs + CLOCK_SKEW_MS).sort((a, b) => a - b);
  if (inWindow.length < settings.maxRemediations) return { escalate: false, notes };
  // Re-applying settings resumes when enough of the remediations have left the window.
  const oldestThatMustLeave = inWindow[inWindow.length - settings.maxRemediations] as number;
  return { escalate: true, count: inWindow.length, resumesAt: new Date(oldestThatMustLeave + windowMs), notes };
}

/** Before a remediation: has this resource been remediated too often lately? No store: never. */
export async function checkFlapping(
  store: FlapStore | undefined,
  key: string,
  now: Date,
  settings: FlapSettings,
  logger: Logger,
): Promise<FlapCheck> {
  if (!store) return { escalate: false, notes: [] };
  const nowMs = now.getTime();
  try {
    return flapDecision(await store.recent(key, nowMs - settings.windowMinutes * 60_000), nowMs, settings);
  } catch (error) {
    // A broken store never blocks a remediation.
    logger.warn('flap state unreadable; remediating anyway', { key, error: errorMessage(error) });
    return { escalate: false, notes: [`flap state unreadable: ${errorCode(error)}`] };
  }
}

/** After a remediation: note it. Returns a note for the record when the store did not take it. */
export async function noteRemediation(
  store: FlapStore | undefined,
  key: string,
  now: Date,
  settings: FlapSettings,
  logger: Logger,
): Promise<string | null> {
  if (!store) return null;
  try {
    await store.add(key, now.getTime(), settings.windowMinutes * 60_000);
    return null;
  } catch (error) {
    logger.warn('flap state not written', { key, error: errorMessage(error) });
    return `flap state not written: ${errorCode(error)}`;
  }
}

/** The times to keep when noting a remediation at `atMs`: within the window, none in the future. */
function keptTimes(times: readonly number[], atMs: number, windowMs: number): number[] {
  return times.filter((t) => t >= atMs - windowMs && t <= atMs + CLOCK_SKEW_MS);
}

/** In-memory store: tests and single-process runs. */
export class MemoryFlapStore implements FlapStore {
  private readonly times = new Map<string, number[]>();
  async recent(key: string, sinceMs: number): Promise<number[]> {
    return (this.times.get(key) ?? []).filter((t) => t >= sinceMs);
  }
  async add(key: string, atMs: number, windowMs: number): Promise<void> {
    this.times.set(key, [...keptTimes(this.times.get(key) ?? [], atMs, windowMs), atMs]);
  }

  /** Write times as a forger would (tests). */
  forge(key: string, times: number[]): void {
    this.times.set(key, times);
  }
}

/**
 * DynamoDB store: one item per resource `{pk, times: [epoch ms], version, expiresAt}`. Writes are
 * optimistic (conditional on the `version` read) so concurrent invocations do not lose a remediation;
 * the item expires (TTL on `expiresAt`) once its window has passed. An item someone forged or broke
 * (times not numbers, a `version` of another type or none) is read as what can be read and
 * overwritten on the next write: it never blocks one.
 */
export class DynamoFlapStore extends StateTableStore implements FlapStore {
  private async read(key: string): Promise<{ times: number[]; version: AttributeValue | undefined }> {
    const out = await this.db.send(new GetItemCommand({ TableName: this.table, Key: { pk: { S: key } }, ConsistentRead: true }));
    const list = out.Item?.times?.L ?? [];
    const times = list.map((v) => Number(v.N)).filter((n) => Number.isFinite(n));
    return { times, version: out.Item?.version };
  }

  async recent(key: string, sinceMs: number): Promise<number[]> {
    return (await this.read(key)).times.filter((t) => t >= sinceMs);
  }

  async add(key: string, atMs: number, windowMs: number): Promise<void> {
    // Optimistic concurrency: each competing writer wins once per round, so rounds are bounded by the
    // number of concurrent invocations of one resource; a small jittered pause spreads them out.
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
      const { times, version } = await this.read(key);
      const kept = [...keptTimes(times, atMs, windowMs), atMs];
      const previous = Number(version?.N);
      try {
        await this.db.send(
          new PutItemCommand({
            TableName: this.table,
            Item: {
              pk: { S: key },
              times: { L: kept.map((t) => ({ N: String(t) })) },
              version: { N: String(Number.isSafeInteger(previous) ? previous + 1 : 1) },
              expiresAt: { N: String(Math.ceil((atMs + windowMs) / 1000) + 60) },
            },
            // Unchanged since read: the very `version` value read (whatever its type), or still none.
            ...(version
              ? { ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': version } }
              : { ConditionExpression: 'attribute_not_exists(version)' }),
          }),
        );
        return;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException) && (error as Error).name !== 'ConditionalCheckFailedException')
          throw error;
      }
    }
    throw new LogwardenError(
      'FlapStateContention',
      `flap state of ${key} not written after ${MAX_WRITE_ATTEMPTS} conditional attempts`,
    );
  }
}
