import { ConditionalCheckFailedException, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { errorCode, errorMessage, LogwardenError } from './errors.js';
import type { Logger } from './log.js';
import { StateTableStore } from './state-table.js';

const MAX_WRITE_ATTEMPTS = 20;

/**
 * Per-resource memory of recent remediations, so that a resource someone (or some IaC pipeline)
 * keeps turning off is not fought forever: past `maxRemediations` in `windowMinutes`, the controller
 * stops re-applying, emits an `escalated` record, and resumes once the window has passed.
 */
export interface FlapStore {
  /** Times (epoch ms) of this resource's remediations at or after `sinceMs`. */
  recent(key: string, sinceMs: number): Promise<number[]>;
  /** Note a remediation at `atMs`; entries older than the window are dropped. */
  add(key: string, atMs: number, windowMs: number): Promise<void>;
}

export interface FlapSettings {
  maxRemediations: number;
  windowMinutes: number;
}

/** The decision before a remediation. Pure. */
export function flapDecision(
  times: readonly number[],
  nowMs: number,
  settings: FlapSettings,
): { escalate: false } | { escalate: true; count: number; resumesAt: Date } {
  const windowMs = settings.windowMinutes * 60_000;
  const inWindow = times.filter((t) => t > nowMs - windowMs).sort((a, b) => a - b);
  if (inWindow.length < settings.maxRemediations) return { escalate: false };
  // Re-applying resumes when enough of the remediations have left the window.
  const oldestThatMustLeave = inWindow[inWindow.length - settings.maxRemediations] as number;
  return { escalate: true, count: inWindow.length, resumesAt: new Date(oldestThatMustLeave + windowMs) };
}

/** Before a remediation: has this resource been remediated too often lately? No store: never. */
export async function checkFlapping(
  store: FlapStore | undefined,
  key: string,
  now: Date,
  settings: FlapSettings,
  logger: Logger,
): Promise<{ escalate: false; note?: string } | { escalate: true; count: number; resumesAt: Date }> {
  if (!store) return { escalate: false };
  const nowMs = now.getTime();
  try {
    return flapDecision(await store.recent(key, nowMs - settings.windowMinutes * 60_000), nowMs, settings);
  } catch (error) {
    // A broken store never blocks a remediation.
    logger.warn('flap state unreadable; remediating anyway', { key, error: errorMessage(error) });
    return { escalate: false, note: `flap state unreadable: ${errorCode(error)}` };
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

/** In-memory store: tests and single-process runs. */
export class MemoryFlapStore implements FlapStore {
  private readonly times = new Map<string, number[]>();
  async recent(key: string, sinceMs: number): Promise<number[]> {
    return (this.times.get(key) ?? []).filter((t) => t >= sinceMs);
  }
  async add(key: string, atMs: number, windowMs: number): Promise<void> {
    this.times.set(key, [...(this.times.get(key) ?? []).filter((t) => t >= atMs - windowMs), atMs]);
  }
}

/**
 * DynamoDB store: one item per resource `{pk, times: [epoch ms], version, expiresAt}`. Writes are
 * optimistic (conditional on `version`) so concurrent invocations do not lose a remediation; the
 * item expires (TTL on `expiresAt`) once its window has passed.
 */
export class DynamoFlapStore extends StateTableStore implements FlapStore {
  private async read(key: string): Promise<{ times: number[]; version: number }> {
    const out = await this.db.send(new GetItemCommand({ TableName: this.table, Key: { pk: { S: key } }, ConsistentRead: true }));
    const times = (out.Item?.times?.L ?? []).map((v) => Number(v.N)).filter((n) => Number.isFinite(n));
    return { times, version: Number(out.Item?.version?.N ?? 0) };
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
      const kept = [...times.filter((t) => t >= atMs - windowMs), atMs];
      try {
        await this.db.send(
          new PutItemCommand({
            TableName: this.table,
            Item: {
              pk: { S: key },
              times: { L: kept.map((t) => ({ N: String(t) })) },
              version: { N: String(version + 1) },
              expiresAt: { N: String(Math.ceil((atMs + windowMs) / 1000) + 60) },
            },
            ConditionExpression: 'attribute_not_exists(pk) OR version = :v',
            ExpressionAttributeValues: { ':v': { N: String(version) } },
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
