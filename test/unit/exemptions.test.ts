import { describe, expect, it } from 'vitest';
import { exemptionFrom } from '../../controllers/core/exemptions.js';

const now = new Date('2026-06-15T12:00:00Z');

describe('exemptionFrom', () => {
  it('is not exempt without the tag', () => {
    expect(exemptionFrom({ other: 'x' }, now)).toEqual({ exempt: false, note: null });
  });
  it('is exempt with a reason and no end', () => {
    expect(exemptionFrom({ 'logwarden:exempt': 'sandbox' }, now)).toEqual({ exempt: true, reason: 'sandbox', until: null });
  });
  it('an empty reason is still an exemption, said so', () => {
    expect(exemptionFrom({ 'logwarden:exempt': ' ' }, now)).toMatchObject({ exempt: true, reason: '(no reason given)' });
  });
  it('a bare date lasts to the end of that day (UTC)', () => {
    expect(exemptionFrom({ 'logwarden:exempt': 'x', 'logwarden:exempt-until': '2026-06-15' }, now)).toMatchObject({
      exempt: true,
      until: '2026-06-15',
    });
    expect(exemptionFrom({ 'logwarden:exempt': 'x', 'logwarden:exempt-until': '2026-06-14' }, now)).toEqual({
      exempt: false,
      note: 'exemption expired on 2026-06-14',
    });
  });
  it('a full timestamp is honoured to the second', () => {
    expect(exemptionFrom({ 'logwarden:exempt': 'x', 'logwarden:exempt-until': '2026-06-15T11:59:59Z' }, now).exempt).toBe(false);
    expect(exemptionFrom({ 'logwarden:exempt': 'x', 'logwarden:exempt-until': '2026-06-15T12:00:01Z' }, now).exempt).toBe(true);
  });
  it('an unreadable end date fails closed: the resource is governed', () => {
    expect(exemptionFrom({ 'logwarden:exempt': 'x', 'logwarden:exempt-until': 'next tuesday' }, now)).toEqual({
      exempt: false,
      note: 'exemption ignored: logwarden:exempt-until="next tuesday" is not an ISO date',
    });
  });
});
