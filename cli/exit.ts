/** Exit codes: 0 ok, 1 findings (drift or failed remediation), 2 error (usage errors included). */
export const EXIT = { ok: 0, findings: 1, error: 2 } as const;
