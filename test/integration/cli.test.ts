import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudTrailClient, GetTrailStatusCommand, StopLoggingCommand } from '@aws-sdk/client-cloudtrail';
import { beforeEach, describe, expect, it } from 'vitest';
import { auditRecordSchema } from '../../controllers/core/record.js';
import { createTrailBucket, TRAIL, trailEvent, trailPolicy } from '../helpers/cloudtrail.js';
import { createAuditBus, REGION, useEmulator } from '../helpers/emulator.js';
import { policyWith } from '../helpers/policy.js';

const emu = useEmulator();
const dir = mkdtempSync(join(tmpdir(), 'lw-cli-'));
const policyFile = join(dir, 'policy.json');
writeFileSync(policyFile, JSON.stringify(policyWith({ cloudtrail: trailPolicy() })));

function logwarden(args: string[], input?: string) {
  const res = spawnSync(process.execPath, ['bin/logwarden.mjs', ...args], {
    input,
    encoding: 'utf8',
    env: {
      ...process.env,
      AWS_ENDPOINT_URL: emu.endpoint,
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      LOGWARDEN_POLICY_FILE: policyFile,
      LOGWARDEN_LOG_LEVEL: 'WARN',
    },
    timeout: 60_000,
  });
  const lines = res.stdout.split('\n').filter((l) => l.trim().startsWith('{'));
  return {
    code: res.status,
    stdout: res.stdout,
    stderr: res.stderr,
    records: lines.map((l) => auditRecordSchema.parse(JSON.parse(l))),
  };
}

const isLogging = async () =>
  (
    await emu
      .clients()
      .get(CloudTrailClient, REGION)
      .send(new GetTrailStatusCommand({ Name: TRAIL }))
  ).IsLogging;

describe('logwarden CLI against the emulator (AWS_ENDPOINT_URL)', () => {
  beforeEach(async () => {
    await createTrailBucket(emu.clients());
    await createAuditBus(emu.clients());
  });

  it('scan reports drift and exits 1; remediate fixes it; scan then exits 0', async () => {
    const scan = logwarden(['scan']);
    expect(scan.code).toBe(1);
    expect(scan.stdout).toMatch(/cloudtrail\s+us-east-1\s+org-audit-trail\s+drift-detected/);

    const fix = logwarden(['remediate', '--json']);
    expect(fix.code).toBe(0);
    expect(fix.records.map((r) => [r.resource.id, r.outcome, r.trigger.type])).toEqual([[TRAIL, 'remediated', 'cli']]);
    expect(await isLogging()).toBe(true);

    const again = logwarden(['scan', '--json']);
    expect(again.code).toBe(0);
    expect(again.records.map((r) => r.outcome)).toEqual(['compliant']);
  });

  it('handle takes a JSON array mixing good and bad events from stdin and prints one record per line', async () => {
    logwarden(['remediate']);
    await emu
      .clients()
      .get(CloudTrailClient, REGION)
      .send(new StopLoggingCommand({ Name: TRAIL }));
    const batch = [
      trailEvent('StopLogging', { name: TRAIL }),
      { hello: 'world' },
      null,
      trailEvent('StopLogging', null, { errorCode: 'AccessDenied' }),
    ];
    const res = logwarden(['handle', '-'], JSON.stringify(batch));
    expect(res.code).toBe(0);
    expect(res.records.map((r) => r.outcome)).toEqual(['remediated', 'ignored', 'ignored', 'ignored']);
    expect(await isLogging()).toBe(true);
  });

  it('handle exits 1 when a record failed', () => {
    // The trail does not exist and its bucket is missing: CreateTrail fails on the emulator.
    const file = join(dir, 'delete.json');
    writeFileSync(file, JSON.stringify(trailEvent('DeleteTrail', { name: TRAIL })));
    const other = join(dir, 'policy-missing-bucket.json');
    writeFileSync(other, JSON.stringify(policyWith({ cloudtrail: trailPolicy({ s3BucketName: 'no-such-bucket' }) })));
    const res = logwarden(['handle', '--config', other, file]);
    expect(res.code).toBe(1);
    expect(res.records[0]).toMatchObject({ outcome: 'failed', actions: [{ api: 'cloudtrail:CreateTrail', ok: false }] });
  });

  it('errors exit 2 with a typed message: invalid policy names the field, input that is not JSON', () => {
    const bad = join(dir, 'bad-policy.json');
    writeFileSync(bad, JSON.stringify(policyWith({ cloudtrail: trailPolicy({ s3BucketName: 'x' }) })));
    const invalid = logwarden(['scan', '--config', bad]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/InvalidPolicy: .*guardrails\.cloudtrail\.trails\[0\]\.s3BucketName/);

    const notJson = logwarden(['handle', '-'], '{ nope');
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toMatch(/InputNotJson: standard input is not JSON/);
  });

  it('handle records unrecognised input with trigger type "unrecognised", a malformed CloudTrail record as "cloudtrail"', () => {
    const malformed = { ...trailEvent('StopLogging', { name: TRAIL }), detail: { eventName: 42 } };
    const res = logwarden(['handle', '--dry-run', '--no-publish', '-'], JSON.stringify([{ hello: 'world' }, malformed]));
    expect(res.records.map((r) => [r.outcome, r.trigger.type])).toEqual([
      ['ignored', 'unrecognised'],
      ['ignored', 'cloudtrail'],
    ]);
  });

  it('scan shows the reason of a row that needs attention, and a summary line per guardrail and region', () => {
    const res = logwarden(['scan']);
    expect(res.stdout).toMatch(/^cloudtrail us-east-1: 1 resource\(s\): 1 drift-detected$/m);
    expect(res.stdout).toMatch(
      /drift-detected\s+drift: exists; 1 difference\(s\) from the policy; dry-run mode, would run: cloudtrail:CreateTrail/,
    );
  });
});

describe('exit codes: 0 ok, 1 findings, 2 errors (usage errors included)', () => {
  it.each([
    ['an unknown option', ['scan', '--bogus'], /unknown option '--bogus'/],
    ['an unknown command', ['sacn'], /unknown command 'sacn'/],
    ['a missing argument', ['handle'], /missing required argument 'event'/],
    ['audit report without --html', ['audit', 'report'], /required option '--html <file>' not specified/],
    ['a misspelt guardrail', ['scan', '-g', 'cloudtrial'], /unknown or ungoverned guardrail "cloudtrial".*valid: cloudtrail/],
    [
      'a guardrail the policy switches off',
      ['remediate', '-g', 'guardduty'],
      /guardrail guardduty is switched off in the policy/,
    ],
    ['a region the policy does not govern', ['scan', '-r', 'eu-west-1'], /ungoverned region "eu-west-1".*valid: us-east-1/],
    ['an unknown guardrail in audit', ['audit', '-g', 'cloudtrial', join(dir, 'none.jsonl')], /unknown guardrail "cloudtrial"/],
    ['an empty event list', ['handle', '-'], /NoEvents: standard input holds no event/],
  ])('%s: exit 2 with the reason on stderr, nothing on stdout', (_what, args, message) => {
    const res = logwarden(args, args[0] === 'handle' && args[1] === '-' ? '[]' : undefined);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(message);
    expect(res.stdout).toBe('');
  });

  it('--version prints the package version and exits 0; --help exits 0', () => {
    const version = logwarden(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
    expect(logwarden(['--help']).code).toBe(0);
  });
});
