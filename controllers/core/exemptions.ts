import { z } from 'zod';
import type { ResourceRef } from './types.js';

/**
 * Exemptions are granted centrally, in the policy, never by the governed account: anything a member
 * account's admin can write (tags included) is untrusted input. A `logwarden:exempt*` tag is only a
 * request; it is noted in the record and the resource is governed as usual.
 */
const TAG_PREFIX = 'logwarden:exempt';
/** Longest piece of a tag value quoted in a record: the value is attacker-controlled. */
const QUOTED_TAG_CHARS = 80;
export const DEFAULT_MAX_EXEMPTION_DAYS = 90;

/**
 * `resource`: a resource id (no `*`), matched exactly against the ref's id; or an ARN, matched
 * against the ref's ARN, where only the whole region and account fields may be `*`.
 */
const ARN = /^arn:(aws[a-z-]*):([a-z0-9-]+):([a-z0-9-]*|\*):(\d{12}|\*|):([^*\s]+)$/;
const RESOURCE_ID = /^(?!arn:)[^*\s]{1,1024}$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** End of the exemption: a bare date means the end of that day, UTC. NaN when unreadable. */
export function expiryOf(expires: string): number {
  if (DATE_ONLY.test(expires)) return Date.parse(`${expires}T23:59:59.999Z`);
  return TIMESTAMP.test(expires) ? Date.parse(expires) : Number.NaN;
}

/** One policy exemption. `guardrail` names are checked against the known guardrails by the policy schema. */
export const exemptionSchema = z
  .object({
    guardrail: z.string().regex(/^[a-z][a-z0-9-]*$/, 'must be a guardrail name'),
    resource: z
      .string()
      .refine(
        (r) => ARN.test(r) || RESOURCE_ID.test(r),
        'must be a resource id or an ARN (only its region and account may be *)',
      ),
    accounts: z
      .array(z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id'))
      .min(1)
      .optional(),
    regions: z
      .array(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-1'))
      .min(1)
      .optional(),
    reason: z.string().trim().min(1, 'must say why'),
    approver: z.string().trim().min(1).optional(),
    ticket: z.string().trim().min(1).optional(),
    expires: z
      .string({ error: 'required: every exemption expires' })
      .refine((e) => !Number.isNaN(expiryOf(e)), 'must be an ISO date (2026-12-31) or timestamp with a time zone'),
  })
  .strict()
  .refine((e) => e.approver !== undefined || e.ticket !== undefined, {
    message: 'an exemption needs an approver or a ticket',
    path: ['approver'],
  });
export type PolicyExemption = z.infer<typeof exemptionSchema>;

/** What an `exempt` record carries about the exemption that applied. */
export interface ExemptionGrant {
  expires: string;
  approver: string | null;
  ticket: string | null;
}

export type ExemptionVerdict = { exempt: true; reason: string; grant: ExemptionGrant } | { exempt: false; notes: string[] };

/** Does the exemption name this resource in this account? Pure. */
export function exemptionMatches(e: PolicyExemption, guardrail: string, ref: ResourceRef, account: string): boolean {
  if (e.guardrail !== guardrail) return false;
  if (e.accounts && !e.accounts.includes(account)) return false;
  if (e.regions && !e.regions.includes(ref.region)) return false;
  if (!e.resource.startsWith('arn:')) return e.resource === ref.id;
  if (!ref.arn) return false;
  const want = e.resource.split(':');
  const have = ref.arn.split(':');
  if (have.length < 6) return false;
  const fieldsMatch = [0, 1, 2, 3, 4].every((i) => want[i] === have[i] || ((i === 3 || i === 4) && want[i] === '*'));
  return fieldsMatch && want.slice(5).join(':') === have.slice(5).join(':');
}

/** The note for exemption tags on the resource: a request nobody approved. Empty when there is none. */
export function tagRequestNotes(tags: Record<string, string>): string[] {
  const keys = Object.keys(tags)
    .filter((k) => k.startsWith(TAG_PREFIX))
    .sort();
  if (keys.length === 0) return [];
  const quoted = keys.map((k) => `${k.slice(0, 40)}="${(tags[k] ?? '').slice(0, QUOTED_TAG_CHARS)}"`).join(', ');
  return [`unapproved exemption request ignored: tag ${quoted}; exemptions are granted in the policy`];
}

/**
 * Decide whether a resource is exempt: a matching policy exemption that has not expired. Tags never
 * exempt. An expired or unreadable expiry does not exempt (fail closed) and is noted. Pure.
 */
export function exemptionFor(
  exemptions: readonly PolicyExemption[],
  guardrail: string,
  ref: ResourceRef,
  account: string,
  tags: Record<string, string>,
  now: Date,
): ExemptionVerdict {
  const notes: string[] = [];
  for (const e of exemptions) {
    if (!exemptionMatches(e, guardrail, ref, account)) continue;
    const end = expiryOf(e.expires);
    const who = [e.approver && `approved by ${e.approver}`, e.ticket && `ticket ${e.ticket}`].filter(Boolean).join(', ');
    if (Number.isNaN(end)) notes.push(`policy exemption ignored: expires "${e.expires}" is not readable`);
    else if (end < now.getTime()) notes.push(`policy exemption expired on ${e.expires} (${who})`);
    else {
      const grant = { expires: e.expires, approver: e.approver ?? null, ticket: e.ticket ?? null };
      return { exempt: true, reason: `${e.reason} (${who}; until ${e.expires})`, grant };
    }
  }
  return { exempt: false, notes: [...notes, ...tagRequestNotes(tags)] };
}
