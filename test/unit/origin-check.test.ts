import { describe, expect, it } from 'vitest';
import { checkOrigin } from '../../controllers/origin-check/decide.js';
import { createOriginCheckHandler, handleOriginEvent } from '../../controllers/origin-check/index.js';
import { envelopeOf, record } from '../helpers/records.js';

const MEMBER = '100000000001';
const VICTIM = '100000000002';

describe('the origin check (pure)', () => {
  it('admits a record whose account is the envelope’s, counted under the envelope account with its outcome', () => {
    const honest = record({ account: MEMBER, outcome: 'failed', guardrail: 'flow-logs', durationMs: 40 });
    const event = envelopeOf(honest);
    expect(checkOrigin(event)).toEqual({
      verdict: 'admitted',
      account: MEMBER,
      region: 'us-east-1',
      guardrail: 'flow-logs',
      outcome: 'failed',
      durationMs: 40,
      eventId: event.id,
    });
  });

  it('quarantines a record whose detail.account is not the envelope’s, naming both accounts', () => {
    const forged = envelopeOf(record({ account: VICTIM, outcome: 'remediated' }), MEMBER);
    expect(checkOrigin(forged)).toEqual({
      verdict: 'quarantined',
      reason: 'account-mismatch',
      account: MEMBER,
      claimedAccount: VICTIM,
      message: `the record says account ${VICTIM} but its EventBridge envelope (set by AWS) says ${MEMBER}: forged or misrouted, not counted`,
      eventId: forged.id,
    });
  });

  it('does not compare regions: the envelope’s is the central bus’s, whatever region the record is about', () => {
    const fromIreland = envelopeOf(record({ account: MEMBER, region: 'eu-west-1' }), MEMBER, 'us-east-1');
    expect(checkOrigin(fromIreland)).toMatchObject({ verdict: 'admitted', account: MEMBER, region: 'eu-west-1' });
  });

  it.each([
    [
      'an envelope without account (moto’s delivery)',
      { ...envelopeOf(record()), account: undefined },
      'the EventBridge envelope has no account',
    ],
    [
      'an envelope account that is no account id',
      { ...envelopeOf(record()), account: 'root' },
      'the EventBridge envelope has no account',
    ],
    [
      'a record without account',
      envelopeOf({ ...record(), account: undefined } as never, MEMBER),
      'the record has no 12-digit account',
    ],
    ['a detail that is not an object', { ...envelopeOf(record()), detail: 'text' }, 'the record has no 12-digit account'],
    ['another source', { ...envelopeOf(record()), source: 'acme' }, 'not a logwarden audit record: source "acme"'],
    ['null', null, 'not an EventBridge event'],
    ['an array', [envelopeOf(record())], 'not an EventBridge event'],
    ['a string', 'hello', 'not an EventBridge event'],
  ])('quarantines %s as unverifiable, never throws', (_name, event, message) => {
    const verdict = checkOrigin(event);
    expect(verdict).toMatchObject({ verdict: 'quarantined', reason: 'unverifiable' });
    expect(verdict.verdict === 'quarantined' && verdict.message).toContain(message);
  });

  it('admits a record with odd counted fields, which then match no count', () => {
    const odd = envelopeOf({ ...record({ account: MEMBER }), outcome: 42, durationMs: 'slow' } as never);
    expect(checkOrigin(odd)).toMatchObject({ verdict: 'admitted', account: MEMBER, outcome: 'unknown', durationMs: null });
  });
});

describe('the origin check’s verdict lines', () => {
  it('writes one JSON line per event; a quarantined line holds the whole event (kept, not counted)', async () => {
    const lines: string[] = [];
    const handler = createOriginCheckHandler((line) => lines.push(line));
    const honest = envelopeOf(record({ account: MEMBER }));
    const forged = envelopeOf(record({ account: VICTIM, outcome: 'failed' }), MEMBER);
    expect(await handler(honest)).toBe('admitted');
    expect(await handler(forged)).toBe('quarantined');
    expect(lines).toHaveLength(2);
    const [admitted, quarantined] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(admitted).toMatchObject({ verdict: 'admitted', account: MEMBER });
    expect(admitted).not.toHaveProperty('event');
    expect(quarantined).toMatchObject({ verdict: 'quarantined', account: MEMBER, claimedAccount: VICTIM, event: forged });
  });

  it('a huge forged event still gives a short quarantined line that the OriginMismatch filter can parse', () => {
    const lines: string[] = [];
    const forged = envelopeOf(record({ account: VICTIM, reason: 'x'.repeat(300_000) }), MEMBER);
    handleOriginEvent(forged, (line) => lines.push(line));
    expect(lines[0]?.length).toBeLessThan(4096);
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      verdict: 'quarantined',
      reason: 'account-mismatch',
      event: null,
      eventChars: JSON.stringify(forged).length,
    });
  });

  it('writes to stdout by default, one line each', () => {
    const written: string[] = [];
    const original = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => {
      written.push(chunk);
      return true;
    }) as typeof process.stdout.write;
    try {
      handleOriginEvent(envelopeOf(record({ account: MEMBER })));
    } finally {
      process.stdout.write = original;
    }
    expect(written).toHaveLength(1);
    expect(written[0]?.endsWith('\n')).toBe(true);
    expect(JSON.parse(written[0] as string)).toMatchObject({ verdict: 'admitted', account: MEMBER });
  });
});
