import { z } from 'zod';
import { AUDIT_DETAIL_TYPE, AUDIT_SOURCE } from '../core/record.js';

/**
 * The value of `verdict` on the origin check's log lines. The central metric filters select on it:
 * they count `admitted` lines only, so a quarantined record is kept and alarmed, never counted.
 */
export const ADMITTED = 'admitted';
export const QUARANTINED = 'quarantined';

/**
 * Why a record is quarantined. `account-mismatch`: the record claims another account than the one
 * EventBridge says put it. `unverifiable`: the envelope or the record has no account to compare
 * (or the event is no logwarden audit record), so the origin cannot be checked: fail closed.
 */
type QuarantineReason = 'account-mismatch' | 'unverifiable';

/**
 * An admitted record's log line: what the counting metric filters and dashboard widgets read.
 * `account` is the envelope's (set by AWS); the other fields are the record's.
 */
interface AdmittedLine {
  verdict: typeof ADMITTED;
  account: string;
  region: string;
  guardrail: string;
  outcome: string;
  /** The controller's time, for the dashboard's time to remediate (null when the record has none). */
  durationMs: number | null;
  eventId: string | null;
}

/** A quarantined record's log line: both accounts, the reason and, added by the handler, the whole event. */
interface QuarantinedLine {
  verdict: typeof QUARANTINED;
  reason: QuarantineReason;
  /** The envelope's account (null when it has none). */
  account: string | null;
  /** The record's own `detail.account` claim (null when it has none). */
  claimedAccount: string | null;
  message: string;
  eventId: string | null;
}

export type OriginVerdict = AdmittedLine | QuarantinedLine;

const ACCOUNT = /^\d{12}$/;
const text = z.string().max(256);

const envelopeSchema = z.object({
  id: text.optional(),
  source: z.unknown(),
  'detail-type': z.unknown(),
  account: z.unknown(),
  detail: z.unknown(),
});

/** Only the fields the check and the counts read; the full record is validated where it is read (`logwarden audit`). */
const detailSchema = z.object({
  account: z.unknown(),
  region: text.catch('unknown'),
  guardrail: text.catch('unknown'),
  outcome: text.catch('unknown'),
  durationMs: z.number().nullable().catch(null),
});

const asAccount = (value: unknown): string | null => (typeof value === 'string' && ACCOUNT.test(value) ? value : null);

function quarantine(
  reason: QuarantineReason,
  message: string,
  ids: { account: string | null; claimedAccount: string | null; eventId: string | null },
): QuarantinedLine {
  return { verdict: QUARANTINED, reason, ...ids, message };
}

/**
 * Compare a record's own `detail.account` with the account EventBridge put in the envelope (the
 * account that called PutEvents; no sender can set it). Pure, never throws.
 *
 * The region is not compared: members put their records to the central bus in the central region,
 * so the envelope's `region` is always the central one and says nothing about the record's region
 * (which the record's signature vouches for, #13 item 3).
 */
export function checkOrigin(event: unknown): OriginVerdict {
  const envelope = envelopeSchema.safeParse(event);
  if (!envelope.success) {
    return quarantine('unverifiable', 'not an EventBridge event', { account: null, claimedAccount: null, eventId: null });
  }
  const e = envelope.data;
  const account = asAccount(e.account);
  const eventId = e.id ?? null;
  if (e.source !== AUDIT_SOURCE || e['detail-type'] !== AUDIT_DETAIL_TYPE) {
    const message = `not a logwarden audit record: source ${JSON.stringify(e.source)}, detail-type ${JSON.stringify(e['detail-type'])}`;
    return quarantine('unverifiable', message, { account, claimedAccount: null, eventId });
  }
  const detail = detailSchema.safeParse(e.detail);
  const claimedAccount = detail.success ? asAccount(detail.data.account) : null;
  if (account === null || claimedAccount === null || !detail.success) {
    const missing = account === null ? 'the EventBridge envelope has no account' : 'the record has no 12-digit account';
    return quarantine('unverifiable', `${missing}: its origin cannot be checked, not counted`, {
      account,
      claimedAccount,
      eventId,
    });
  }
  if (claimedAccount !== account) {
    const message = `the record says account ${claimedAccount} but its EventBridge envelope (set by AWS) says ${account}: forged or misrouted, not counted`;
    return quarantine('account-mismatch', message, { account, claimedAccount, eventId });
  }
  const { region, guardrail, outcome, durationMs } = detail.data;
  return { verdict: ADMITTED, account, region, guardrail, outcome, durationMs, eventId };
}
