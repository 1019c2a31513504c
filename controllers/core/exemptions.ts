const EXEMPT_TAG = 'logwarden:exempt';
const EXEMPT_UNTIL_TAG = 'logwarden:exempt-until';

export type Exemption = { exempt: true; reason: string; until: string | null } | { exempt: false; note: string | null };

/**
 * Decide from a resource's tags whether it is exempt. Pure.
 * `logwarden:exempt` holds the reason; `logwarden:exempt-until` an optional ISO date (a bare date
 * means the end of that day, UTC). An expired or unreadable end date means the exemption no longer
 * applies (fail closed): the resource is governed again and the note says why.
 */
export function exemptionFrom(tags: Record<string, string>, now: Date): Exemption {
  const reason = tags[EXEMPT_TAG];
  if (reason === undefined) return { exempt: false, note: null };
  const until = tags[EXEMPT_UNTIL_TAG];
  const why = reason.trim() || '(no reason given)';
  if (until === undefined || until.trim() === '') return { exempt: true, reason: why, until: null };
  const text = until.trim();
  const end = /^\d{4}-\d{2}-\d{2}$/.test(text) ? new Date(`${text}T23:59:59.999Z`) : new Date(text);
  if (Number.isNaN(end.getTime())) {
    return { exempt: false, note: `exemption ignored: ${EXEMPT_UNTIL_TAG}="${text}" is not an ISO date` };
  }
  if (end.getTime() < now.getTime()) {
    return { exempt: false, note: `exemption expired on ${text}` };
  }
  return { exempt: true, reason: why, until: text };
}
