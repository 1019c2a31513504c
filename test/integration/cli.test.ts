import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
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
});
