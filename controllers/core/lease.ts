import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException, DeleteItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { errorCode, errorMessage } from './errors.js';
import type { Logger } from './log.js';
import { CLOCK_SKEW_MS, StateTableStore } from './state-table.js';

/**
 * Per-resource leases, so that concurrent invocations for one resource (EventBridge delivers at
 * least once; Lambda runs copies in parallel) do not all write: the first takes the lease and
 * remediates; the others wait for it, then observe and find the resource compliant.
 *
 * A lease expires on its own after its TTL, so a crashed invocation never blocks a resource for
 * longer than that. The store is untrusted (the governed account's admin can write its items): a
 * lease that ends later than any logwarden writes (`now + ttl + CLOCK_SKEW_MS`), or whose end cannot
 * be read, is forged; it is taken over and the take-over reported.
 */
export interface LeaseStore {
  /**
   * Take the lease for `owner` unless someone else holds a genuine unexpired one. `overrode`
   * describes a forged lease that was taken over, else null.
   */
  acquire(key: string, owner: string, ttlMs: number, nowMs: number): Promise<LeaseTake>;
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

export type LeaseTake = { taken: false } | { taken: true; overrode: string | null };

export type LeaseAttempt =
  | { kind: 'held'; owner: string; waitedMs: number; note: string | null }
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
      const take = await store.acquire(key, owner, ttlMs, Date.now());
      if (take.taken) return { kind: 'held', owner, waitedMs: Date.now() - started, note: take.overrode };
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

  async acquire(key: string, owner: string, ttlMs: number, nowMs: number): Promise<LeaseTake> {
    const current = this.held.get(key);
    const forged = current ? forgedLeaseNote(current.owner, current.expiresAt, owner, ttlMs, nowMs) : null;
    if (current && current.owner !== owner && current.expiresAt > nowMs && !forged) return { taken: false };
    this.held.set(key, { owner, expiresAt: nowMs + ttlMs });
    this.acquisitions++;
    return { taken: true, overrode: forged };
  }

  /** Write a lease as a forger would (tests). */
  forge(key: string, owner: string, expiresAt: number): void {
    this.held.set(key, { owner, expiresAt });
  }

  async release(key: string, owner: string): Promise<void> {
    if (this.held.get(key)?.owner === owner) this.held.delete(key);
  }
}

/**
 * A note when a lease held by someone else ends later than logwarden ever sets one (its TTL plus the
 * clock skew) or has no readable end: a forged item, taken over. Null for a genuine lease. Pure.
 */
function forgedLeaseNote(holder: string, expiresAtMs: number, owner: string, ttlMs: number, nowMs: number): string | null {
  if (holder === owner) return null;
  if (Number.isFinite(expiresAtMs) && expiresAtMs <= nowMs + ttlMs + CLOCK_SKEW_MS) return null;
  const end = Number.isFinite(expiresAtMs) ? new Date(Math.min(expiresAtMs, 8.64e15)).toISOString() : 'unreadable';
  return `forged lease taken over (it ran until ${end}, past the ${Math.round((ttlMs + CLOCK_SKEW_MS) / 1000)} s maximum)`;
}

/**
 * DynamoDB leases on the state table the flap store uses: item `{pk: "lease#<key>", owner,
 * expiresAtMs, expiresAt}`. Taken with a conditional put (absent, expired, already ours, or forged:
 * ending after the longest lease logwarden sets or without a numeric end), given back with a
 * conditional delete (still ours). `expiresAt` (epoch seconds) is the table's TTL attribute, so
 * forgotten leases are cleaned up.
 */
export class DynamoLeaseStore extends StateTableStore implements LeaseStore {
  async acquire(key: string, owner: string, ttlMs: number, nowMs: number): Promise<LeaseTake> {
    try {
      const out = await this.db.send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            pk: { S: `lease#${key}` },
            owner: { S: owner },
            expiresAtMs: { N: String(nowMs + ttlMs) },
            expiresAt: { N: String(Math.ceil((nowMs + ttlMs) / 1000) + 60) },
          },
          ConditionExpression:
            'attribute_not_exists(pk) OR #owner = :owner OR NOT attribute_type(expiresAtMs, :number) OR expiresAtMs < :now OR expiresAtMs > :longest',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: {
            ':now': { N: String(nowMs) },
            ':longest': { N: String(nowMs + ttlMs + CLOCK_SKEW_MS) },
            ':owner': { S: owner },
            ':number': { S: 'N' },
          },
          ReturnValues: 'ALL_OLD',
        }),
      );
      const old = out.Attributes;
      if (!old?.pk) return { taken: true, overrode: null };
      return { taken: true, overrode: forgedLeaseNote(old.owner?.S ?? '', Number(old.expiresAtMs?.N), owner, ttlMs, nowMs) };
    } catch (error) {
      if (isConditionFailure(error)) return { taken: false };
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
