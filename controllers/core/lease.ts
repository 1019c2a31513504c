import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException, DeleteItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { errorCode, errorMessage } from './errors.js';
import type { Logger } from './log.js';
import { StateTableStore } from './state-table.js';

/**
 * Per-resource leases, so that concurrent invocations for one resource (EventBridge delivers at
 * least once; Lambda runs copies in parallel) do not all write: the first takes the lease and
 * remediates; the others wait for it, then observe and find the resource compliant.
 *
 * A lease expires on its own after its TTL, so a crashed invocation never blocks a resource for
 * longer than that.
 */
export interface LeaseStore {
  /** Take the lease for `owner` unless someone else holds an unexpired one. True when taken. */
  acquire(key: string, owner: string, ttlMs: number, nowMs: number): Promise<boolean>;
  /** Give the lease back, if `owner` still holds it. */
  release(key: string, owner: string): Promise<void>;
}

export interface LeaseSettings {
  /** How long a lease lasts when it is not released (a crashed or timed-out invocation). */
  ttlMs: number;
  /** How long to wait for another invocation's lease before giving up (the record is then retryable). */
  waitMs: number;
  /** Pause between attempts while waiting. */
  pollMs: number;
}

export const DEFAULT_LEASE_SETTINGS: LeaseSettings = { ttlMs: 30_000, waitMs: 20_000, pollMs: 100 };

export type LeaseAttempt =
  | { kind: 'held'; owner: string; waitedMs: number }
  | { kind: 'busy'; waitedMs: number }
  | { kind: 'unavailable'; note: string };

/**
 * Take the resource's lease, waiting (bounded, jittered polling) while another invocation holds it.
 * A broken store never blocks a remediation: the caller then goes on without a lease and says so.
 */
export async function takeLease(store: LeaseStore, key: string, settings: LeaseSettings, logger: Logger): Promise<LeaseAttempt> {
  const { ttlMs, waitMs, pollMs } = settings;
  const owner = randomUUID();
  const started = Date.now();
  try {
    for (;;) {
      if (await store.acquire(key, owner, ttlMs, Date.now())) return { kind: 'held', owner, waitedMs: Date.now() - started };
      if (Date.now() - started >= waitMs) return { kind: 'busy', waitedMs: Date.now() - started };
      await new Promise((r) => setTimeout(r, pollMs * (0.5 + Math.random())));
    }
  } catch (error) {
    logger.warn('lease store unavailable; remediating without a lease', { key, error: errorMessage(error) });
    return { kind: 'unavailable', note: `lease not taken: ${errorCode(error)}` };
  }
}

/** Give the lease back; if that fails it expires on its own after its TTL. */
export async function releaseLease(store: LeaseStore, key: string, owner: string, logger: Logger): Promise<void> {
  try {
    await store.release(key, owner);
  } catch (error) {
    logger.warn('lease not released; it expires on its own', { key, error: errorMessage(error) });
  }
}

/** In-memory leases: tests and single-process runs. Share one instance between runtimes to model the table. */
export class MemoryLeaseStore implements LeaseStore {
  private readonly held = new Map<string, { owner: string; expiresAt: number }>();
  /** Every successful acquisition, for tests. */
  acquisitions = 0;

  async acquire(key: string, owner: string, ttlMs: number, nowMs: number): Promise<boolean> {
    const current = this.held.get(key);
    if (current && current.owner !== owner && current.expiresAt > nowMs) return false;
    this.held.set(key, { owner, expiresAt: nowMs + ttlMs });
    this.acquisitions++;
    return true;
  }

  async release(key: string, owner: string): Promise<void> {
    if (this.held.get(key)?.owner === owner) this.held.delete(key);
  }
}

/**
 * DynamoDB leases on the state table the flap store uses: item `{pk: "lease#<key>", owner,
 * expiresAtMs, expiresAt}`. Taken with a conditional put (absent, expired or already ours), given
 * back with a conditional delete (still ours). `expiresAt` (epoch seconds) is the table's TTL
 * attribute, so forgotten leases are cleaned up.
 */
export class DynamoLeaseStore extends StateTableStore implements LeaseStore {
  async acquire(key: string, owner: string, ttlMs: number, nowMs: number): Promise<boolean> {
    try {
      await this.db.send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            pk: { S: `lease#${key}` },
            owner: { S: owner },
            expiresAtMs: { N: String(nowMs + ttlMs) },
            expiresAt: { N: String(Math.ceil((nowMs + ttlMs) / 1000) + 60) },
          },
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAtMs < :now OR #owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':now': { N: String(nowMs) }, ':owner': { S: owner } },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async release(key: string, owner: string): Promise<void> {
    try {
      await this.db.send(
        new DeleteItemCommand({
          TableName: this.table,
          Key: { pk: { S: `lease#${key}` } },
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': { S: owner } },
        }),
      );
    } catch (error) {
      // Expired and taken by someone else meanwhile: not ours to delete.
      if (!isConditionFailure(error)) throw error;
    }
  }
}

function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException || (error as Error | undefined)?.name === 'ConditionalCheckFailedException'
  );
}
