import { describe, expect, it } from 'vitest';
import { matches, matchesPattern, parseOutcomes, parseSortField, sortRecords, splitList } from '../../cli/audit/filters.js';
import { parseItem, parseValue, splitConcatenated, splitDocuments } from '../../cli/audit/parse.js';
import { parseSourceSpec } from '../../cli/audit/sources/index.js';
import { keyInWindow, partitionHour } from '../../cli/audit/sources/s3.js';
import { durationMs, parseTime } from '../../cli/audit/time.js';
import { ConfigError } from '../../controllers/core/errors.js';
import { AUDIT_DETAIL_TYPE, AUDIT_SOURCE } from '../../controllers/core/record.js';
import { record } from '../helpers/records.js';

const envelope = (detail: unknown, source = AUDIT_SOURCE, detailType = AUDIT_DETAIL_TYPE) => ({
  version: '0',
  id: 'b1e7c1a2-0000-4000-8000-000000000001',
  'detail-type': detailType,
  source,
  account: '123456789012',
  time: '2026-11-26T10:00:00Z',
  region: 'us-east-1',
  resources: [],
  detail,
});

describe('audit record parsing and integrity', () => {
  it('accepts a bare record and the same record in an EventBridge envelope', () => {
    const r = record();
    // `raw`: the object as read, which a signature covers (`--verify`).
    // `origin`: a bare record's account is its own word; the envelope's account (set by AWS) agrees here.
    expect(parseItem({ text: JSON.stringify(r), location: 'f:1' })).toEqual({
      ok: true,
      record: r,
      raw: r,
      origin: 'unverified',
    });
    expect(parseItem({ text: JSON.stringify(envelope(r)), location: 'f:2' })).toEqual({
      ok: true,
      record: r,
      raw: r,
      origin: 'verified',
    });
  });

  it('quarantines a record whose account disagrees with its envelope', () => {
    const forged = record({ account: '999999999999' });
    const parsed = parseItem({ text: JSON.stringify(envelope(forged)), location: 'f:3' });
    expect(parsed).toMatchObject({ ok: false, problem: { kind: 'origin-mismatch', location: 'f:3' } });
  });

  it('rejects malformed JSON with its location', () => {
    const p = parseItem({ text: '{"schemaVersion":"1.0",', location: 'audit.jsonl:7' });
    expect(p).toMatchObject({ ok: false, problem: { kind: 'malformed-json', location: 'audit.jsonl:7' } });
  });

  it('rejects an unknown schema version, bare or enveloped, and a record without one', () => {
    const v2 = { ...record(), schemaVersion: '2.0' };
    expect(parseValue(v2, 'x')).toMatchObject({ ok: false, problem: { kind: 'unknown-schema-version' } });
    expect(parseValue(envelope(v2), 'x')).toMatchObject({
      ok: false,
      problem: { kind: 'unknown-schema-version', message: expect.stringContaining('"2.0"') },
    });
    const { schemaVersion: _, ...noVersion } = record();
    expect(parseValue(noVersion, 'x')).toMatchObject({
      ok: false,
      problem: { kind: 'unknown-schema-version', message: 'no schemaVersion field' },
    });
  });

  it('rejects a record that does not match the schema, naming the fields', () => {
    const bad = { ...record(), outcome: 'fixed', resource: { type: 'x' } };
    const p = parseValue(bad, 'x');
    expect(p.ok).toBe(false);
    if (!p.ok) {
      expect(p.problem.kind).toBe('invalid-record');
      expect(p.problem.message).toMatch(/outcome/);
      expect(p.problem.message).toMatch(/resource\.id/);
    }
    expect(parseValue({ ...record(), time: 'yesterday' }, 'x')).toMatchObject({ ok: false, problem: { kind: 'invalid-record' } });
    expect(parseValue([record()], 'x')).toMatchObject({ ok: false, problem: { kind: 'invalid-record', message: /an array/ } });
    expect(parseValue(null, 'x')).toMatchObject({ ok: false, problem: { kind: 'invalid-record' } });
  });

  it('rejects other EventBridge events (a CloudTrail event on the same bus) as not audit records', () => {
    const p = parseValue(envelope({ eventName: 'StopLogging' }, 'aws.cloudtrail', 'AWS API Call via CloudTrail'), 'x');
    expect(p).toMatchObject({ ok: false, problem: { kind: 'not-an-audit-record' } });
  });

  it('splits newline-delimited and concatenated documents; braces inside strings do not split', () => {
    expect(splitDocuments('{"a":1}\n\n  {"b":2}  \r\n')).toEqual(['{"a":1}', '{"b":2}']);
    expect(splitConcatenated('{"a":"}{"}{"b":[{"c":"\\"}"}]}')).toEqual(['{"a":"}{"}', '{"b":[{"c":"\\"}"}]}']);
    expect(splitDocuments('{"reason":"a }{ b"}')).toEqual(['{"reason":"a }{ b"}']);
    // Malformed text is kept whole so it is reported, not lost.
    expect(splitConcatenated('}{oops')).toEqual(['}{oops']);
  });
});

describe('audit filters', () => {
  const r = record({
    guardrail: 'flow-logs',
    account: '111111111111',
    region: 'eu-west-1',
    outcome: 'failed',
    time: '2026-11-26T10:00:00.000Z',
    resource: { type: 'AWS::EC2::VPC', id: 'vpc-0abc', arn: 'arn:aws:ec2:eu-west-1:111111111111:vpc/vpc-0abc' },
    trigger: {
      type: 'cloudtrail',
      eventId: 'e',
      eventName: 'DeleteFlowLogs',
      actor: 'arn:aws:sts::111111111111:assumed-role/Admin/alice',
    },
  });

  it('matches each field, any-of within a field and all-of across fields', () => {
    expect(matches(r, {})).toBe(true);
    expect(matches(r, { guardrail: ['cloudtrail', 'flow-logs'] })).toBe(true);
    expect(matches(r, { guardrail: ['cloudtrail'] })).toBe(false);
    expect(matches(r, { account: ['111111111111'] })).toBe(true);
    expect(matches(r, { account: ['222222222222'] })).toBe(false);
    expect(matches(r, { region: ['eu-west-1'] })).toBe(true);
    expect(matches(r, { region: ['us-east-1'] })).toBe(false);
    expect(matches(r, { outcome: ['failed', 'escalated'] })).toBe(true);
    expect(matches(r, { outcome: ['remediated'] })).toBe(false);
    expect(matches(r, { guardrail: ['flow-logs'], account: ['222222222222'] })).toBe(false);
  });

  it('matches a resource by id, ARN or type, with * wildcards', () => {
    expect(matches(r, { resource: ['vpc-0abc'] })).toBe(true);
    expect(matches(r, { resource: ['arn:aws:ec2:eu-west-1:111111111111:vpc/vpc-0abc'] })).toBe(true);
    expect(matches(r, { resource: ['AWS::EC2::VPC'] })).toBe(true);
    expect(matches(r, { resource: ['vpc-*'] })).toBe(true);
    expect(matches(r, { resource: ['vpc-0'] })).toBe(false);
    expect(matches(r, { resource: ['main', '*:vpc/vpc-0abc'] })).toBe(true);
  });

  it('matches an actor with * wildcards; regex characters are literal', () => {
    expect(matches(r, { actor: ['*/alice'] })).toBe(true);
    expect(matches(r, { actor: ['*assumed-role/Admin/*'] })).toBe(true);
    expect(matches(r, { actor: ['alice'] })).toBe(false);
    expect(matches(record({ trigger: { type: 'sweep', eventId: null, eventName: null, actor: null } }), { actor: ['*'] })).toBe(
      false,
    );
    expect(matchesPattern('a.c', 'abc')).toBe(false);
    expect(matchesPattern('a+*', 'a+b')).toBe(true);
  });

  it('applies the time window: since inclusive, until exclusive', () => {
    const at = (iso: string) => new Date(iso);
    expect(matches(r, { since: at('2026-11-26T10:00:00Z') })).toBe(true);
    expect(matches(r, { since: at('2026-11-26T10:00:00.001Z') })).toBe(false);
    expect(matches(r, { until: at('2026-11-26T10:00:00Z') })).toBe(false);
    expect(matches(r, { until: at('2026-11-26T10:00:00.001Z') })).toBe(true);
  });

  it('parses relative and absolute times, and refuses anything else', () => {
    const now = new Date('2026-11-26T12:00:00Z');
    expect(parseTime('--since', '7d', now).toISOString()).toBe('2026-11-19T12:00:00.000Z');
    expect(parseTime('--since', '90m', now).toISOString()).toBe('2026-11-26T10:30:00.000Z');
    expect(parseTime('--since', '2w', now).toISOString()).toBe('2026-11-12T12:00:00.000Z');
    expect(parseTime('--since', '30s', now).toISOString()).toBe('2026-11-26T11:59:30.000Z');
    expect(parseTime('--since', 'now', now).toISOString()).toBe(now.toISOString());
    expect(parseTime('--since', '2026-11-01', now).toISOString()).toBe('2026-11-01T00:00:00.000Z');
    expect(parseTime('--until', '2026-11-01T12:30', now).toISOString()).toBe('2026-11-01T12:30:00.000Z');
    expect(parseTime('--until', '2026-11-01T12:30:00+02:00', now).toISOString()).toBe('2026-11-01T10:30:00.000Z');
    expect(() => parseTime('--since', 'last week', now)).toThrow(ConfigError);
    expect(() => parseTime('--since', '2026-13-45', now)).toThrow(/--since/);
    expect(durationMs('1.5h')).toBe(5_400_000);
    expect(durationMs('7')).toBeUndefined();
  });

  it('checks outcomes and sort fields against the schema', () => {
    expect(parseOutcomes(['failed,escalated', 'remediated'])).toEqual(['failed', 'escalated', 'remediated']);
    expect(() => parseOutcomes(['fixed'])).toThrow(ConfigError);
    expect(parseSortField(undefined)).toBe('time');
    expect(() => parseSortField('colour')).toThrow(/--sort/);
    expect(splitList(['a,b', ' c ', ''])).toEqual(['a', 'b', 'c']);
    expect(splitList([])).toBeUndefined();
  });

  it('sorts by a field with time as tie-breaker, ascending or descending', () => {
    const a = record({ id: 'a', guardrail: 'z', time: '2026-11-26T10:00:00.000Z', durationMs: 5 });
    const b = record({ id: 'b', guardrail: 'a', time: '2026-11-26T09:00:00.000Z', durationMs: 50 });
    const c = record({ id: 'c', guardrail: 'a', time: '2026-11-26T11:00:00.000Z', durationMs: 1 });
    expect(sortRecords([a, b, c], 'time').map((x) => x.id)).toEqual(['b', 'a', 'c']);
    expect(sortRecords([a, b, c], 'time', true).map((x) => x.id)).toEqual(['c', 'a', 'b']);
    expect(sortRecords([a, b, c], 'guardrail').map((x) => x.id)).toEqual(['b', 'c', 'a']);
    expect(sortRecords([a, b, c], 'duration', true).map((x) => x.id)).toEqual(['b', 'a', 'c']);
  });
});

describe('audit sources: names and archive partitions', () => {
  it('parses URL-like source names', () => {
    expect(parseSourceSpec('.demo/audit.jsonl')).toEqual({ kind: 'file', path: '.demo/audit.jsonl' });
    expect(parseSourceSpec('-')).toEqual({ kind: 'file', path: '-' });
    expect(parseSourceSpec('file:///tmp/a.jsonl.gz')).toEqual({ kind: 'file', path: '/tmp/a.jsonl.gz' });
    expect(parseSourceSpec('logs:///aws/events/logwarden-audit?region=eu-west-1')).toEqual({
      kind: 'logs',
      logGroup: '/aws/events/logwarden-audit',
      region: 'eu-west-1',
    });
    expect(parseSourceSpec('arn:aws:logs:eu-west-1:123456789012:log-group:/aws/events/audit:*')).toEqual({
      kind: 'logs',
      logGroup: '/aws/events/audit',
      region: 'eu-west-1',
    });
    expect(parseSourceSpec('s3://archive/audit/')).toEqual({ kind: 's3', url: 's3://archive/audit/', region: undefined });
    expect(parseSourceSpec('kinesis://logwarden-audit')).toEqual({
      kind: 'kinesis',
      stream: 'logwarden-audit',
      region: undefined,
    });
    expect(parseSourceSpec('arn:aws:kinesis:us-west-2:123456789012:stream/audit')).toEqual({
      kind: 'kinesis',
      stream: 'audit',
      region: 'us-west-2',
    });
    expect(() => parseSourceSpec('ftp://x/y')).toThrow(ConfigError);
    expect(() => parseSourceSpec('kinesis://')).toThrow(ConfigError);
  });

  it('reads the hour out of custom and default Firehose keys', () => {
    expect(partitionHour('audit/year=2026/month=11/day=26/hour=14/logwarden-1-2026-11-26-14-03-11-abc.gz')?.toISOString()).toBe(
      '2026-11-26T14:00:00.000Z',
    );
    expect(partitionHour('audit/2026/11/26/09/logwarden-1.gz')?.toISOString()).toBe('2026-11-26T09:00:00.000Z');
    expect(partitionHour('audit/errors/manifest.json')).toBeUndefined();
  });

  it('skips partitions that cannot hold records of the window, with the Firehose buffering margin', () => {
    const key = 'audit/year=2026/month=11/day=26/hour=14/x.gz';
    const at = (iso: string) => new Date(iso);
    expect(keyInWindow(key, {})).toBe(true);
    expect(keyInWindow(key, { since: at('2026-11-26T14:59:59Z') })).toBe(true);
    expect(keyInWindow(key, { since: at('2026-11-26T15:00:00Z') })).toBe(false);
    // A record made at 13:55 may land in the 14:00 partition.
    expect(keyInWindow(key, { until: at('2026-11-26T13:30:00Z') })).toBe(true);
    expect(keyInWindow(key, { until: at('2026-11-26T13:00:00Z') })).toBe(false);
    expect(keyInWindow('audit/other.gz', { since: at('2030-01-01T00:00:00Z') })).toBe(true);
  });
});
