/**
 * `logwarden init` against the emulator: it reads a seeded account (a trail, a bucket with access
 * logging, a flow log to S3, a GuardDuty detector) and writes a starter policy that validates and holds
 * what it found; it never overwrites a file without --force; --from-example writes the example.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudTrailClient, CreateTrailCommand, StartLoggingCommand } from '@aws-sdk/client-cloudtrail';
import { CreateDetectorCommand } from '@aws-sdk/client-guardduty';
import { beforeEach, describe, expect, it } from 'vitest';
import { loadPolicyFile } from '../../controllers/core/policy.js';
import { guardrails } from '../../controllers/registry.js';
import { compliantBucket, createAccountLogBucket, LOG_BUCKET } from '../helpers/bucket-logging.js';
import { createTrailBucket, BUCKET as TRAIL_BUCKET } from '../helpers/cloudtrail.js';
import { ACCOUNT, REGION, useEmulator } from '../helpers/emulator.js';
import { createFlowBucket, createVpc, FLOW_DESTINATION, userFlowLog } from '../helpers/flow-logs.js';
import { gd } from '../helpers/guardduty.js';

const ROOT = join(import.meta.dirname, '..', '..');
const emu = useEmulator();
const dir = mkdtempSync(join(tmpdir(), 'lw-cli-init-'));
let runs = 0;
const freshOut = () => join(dir, `policy-${++runs}.json`);

function init(args: string[]) {
  const res = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'cli', 'main.ts'), 'init', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: {
      ...process.env,
      AWS_ENDPOINT_URL: emu.endpoint,
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      LOGWARDEN_LOG_LEVEL: 'WARN',
    },
    timeout: 120_000,
  });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

const TRAIL = 'account-trail';

async function seedAccount(): Promise<void> {
  const clients = emu.clients();
  await createTrailBucket(clients);
  const cloudtrail = clients.get(CloudTrailClient, REGION);
  await cloudtrail.send(new CreateTrailCommand({ Name: TRAIL, S3BucketName: TRAIL_BUCKET, IsMultiRegionTrail: true }));
  await cloudtrail.send(new StartLoggingCommand({ Name: TRAIL }));
  await createAccountLogBucket(clients);
  await compliantBucket(clients, 'app-data');
  await createFlowBucket(clients);
  await userFlowLog(clients, await createVpc(clients));
  await gd(clients).send(new CreateDetectorCommand({ Enable: true, FindingPublishingFrequency: 'FIFTEEN_MINUTES' }));
}

describe('logwarden init on the emulator', () => {
  beforeEach(seedAccount, 60_000);

  it('writes a valid starter policy in notify mode with what it found, and a summary on stderr', () => {
    const out = freshOut();
    const res = init(['--out', out, '-r', REGION, 'eu-west-1']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toBe('');
    const policy = loadPolicyFile(out, guardrails);
    // eu-west-1 has only its default VPC: not in use.
    expect(policy.controller.regions).toEqual([REGION]);
    expect(policy.guardrails.cloudtrail).toMatchObject({
      mode: 'notify',
      trails: [{ name: TRAIL, homeRegion: REGION, s3BucketName: TRAIL_BUCKET }],
    });
    expect(policy.guardrails['flow-logs']).toMatchObject({
      mode: 'notify',
      destination: { type: 's3', bucketArn: FLOW_DESTINATION },
    });
    // The log bucket app-data logs to, as a template: s3-access-logs-{account}-{region}.
    expect(LOG_BUCKET).toBe(`s3-access-logs-${ACCOUNT}-${REGION}`);
    expect(policy.guardrails['bucket-logging']).toMatchObject({ mode: 'notify', logBucket: { prefix: 's3-access-logs' } });
    expect(policy.guardrails.guardduty).toMatchObject({ mode: 'notify', findingPublishingFrequency: 'FIFTEEN_MINUTES' });
    expect(policy.controller.ownRoleArns).toContain(
      'arn:aws:iam::{account}:role/logwarden/logwarden-cloudtrail-controller-{region}',
    );
    expect(res.stderr).toMatch(
      /logwarden init: region us-east-1: 1 VPC\(s\) besides the default, home of trail account-trail, a GuardDuty detector/,
    );
    expect(res.stderr).toMatch(/logwarden init: left out: load-balancer-logs: .*set bucket/);
    expect(res.stderr).toMatch(new RegExp(`wrote ${out}`));
  }, 120_000);

  it('never overwrites an existing file without --force (exit 2, file kept); --force overwrites it', () => {
    const out = freshOut();
    writeFileSync(out, 'keep me\n');
    const refused = init(['--out', out, '-r', REGION]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/InvalidConfig: --out: .* already exists; pass --force to overwrite it/);
    expect(readFileSync(out, 'utf8')).toBe('keep me\n');

    const forced = init(['--out', out, '-r', REGION, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(loadPolicyFile(out, guardrails).controller.regions).toEqual([REGION]);
  }, 120_000);

  it('rejects a region the account does not have (exit 2, nothing written)', () => {
    const out = freshOut();
    const res = init(['--out', out, '-r', 'xx-nowhere-1']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(
      /InvalidConfig: --region: region "xx-nowhere-1" is not enabled in this account; valid: .*us-east-1/,
    );
    expect(existsSync(out)).toBe(false);
  }, 120_000);
});

describe('logwarden init --from-example', () => {
  it('writes the documented example, which validates', () => {
    const out = freshOut();
    const res = init(['--from-example', '--out', out]);
    expect(res.code, res.stderr).toBe(0);
    const example = JSON.parse(readFileSync(join(ROOT, 'examples', 'logwarden.policy.json'), 'utf8'));
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(example);
    expect(() => loadPolicyFile(out, guardrails)).not.toThrow();
  }, 60_000);

  it('is a usage error together with --region (exit 2)', () => {
    const res = init(['--from-example', '-r', REGION, '--out', freshOut()]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/option '--from-example' cannot be used with option '-r, --region/);
  }, 60_000);
});
