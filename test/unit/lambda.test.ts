import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CloudTrailClient,
  GetEventSelectorsCommand,
  GetTrailCommand,
  GetTrailStatusCommand,
  ListTagsCommand,
  StartLoggingCommand,
} from '@aws-sdk/client-cloudtrail';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sweepEvent } from '../../cli/events.js';
import { cloudtrail } from '../../controllers/cloudtrail/index.js';
import { AuditDeliveryError, ConfigError, PolicyError, RemediationError } from '../../controllers/core/errors.js';
import { createLambdaHandler } from '../../controllers/core/lambda.js';
import { BUCKET, TRAIL, trailEvent, trailPolicy } from '../helpers/cloudtrail.js';
import { ACCOUNT } from '../helpers/emulator.js';
import { policyWith } from '../helpers/policy.js';

const ct = mockClient(CloudTrailClient);
const eb = mockClient(EventBridgeClient);
const ARN = `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/${TRAIL}`;
const context = { invokedFunctionArn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:logwarden-cloudtrail` };

function policyFile(doc: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'lw-lambda-')), 'policy.json');
  writeFileSync(file, JSON.stringify(doc));
  return file;
}

describe('Lambda handler', () => {
  const saved = { ...process.env };
  beforeEach(() => {
    ct.reset();
    eb.reset();
    process.env.AWS_REGION = 'us-east-1';
    delete process.env.LOGWARDEN_ACCOUNT_ID;
    delete process.env.AWS_ENDPOINT_URL;
    ct.on(GetTrailCommand).resolves({
      Trail: {
        Name: TRAIL,
        TrailARN: ARN,
        HomeRegion: 'us-east-1',
        S3BucketName: BUCKET,
        IsMultiRegionTrail: true,
        LogFileValidationEnabled: true,
        IncludeGlobalServiceEvents: true,
      },
    });
    ct.on(GetEventSelectorsCommand).resolves({ EventSelectors: [{ ReadWriteType: 'All', IncludeManagementEvents: true }] });
    ct.on(ListTagsCommand).resolves({ ResourceTagList: [] });
  });
  afterEach(() => {
    process.env = { ...saved };
  });

  const section = { trails: [{ name: TRAIL, homeRegion: 'us-east-1', s3BucketName: BUCKET }] };

  it('an invalid policy fails at start-up, naming the field', () => {
    process.env.LOGWARDEN_POLICY_FILE = policyFile(policyWith({ cloudtrail: trailPolicy({ homeRegion: 'nowhere' }) }));
    expect(() => createLambdaHandler(cloudtrail)).toThrow(PolicyError);
    expect(() => createLambdaHandler(cloudtrail)).toThrow(/guardrails\.cloudtrail\.trails\[0\]\.homeRegion/);
  });

  it('a missing region fails at start-up', () => {
    process.env.LOGWARDEN_POLICY_FILE = policyFile(policyWith({ cloudtrail: section }));
    delete process.env.AWS_REGION;
    expect(() => createLambdaHandler(cloudtrail)).toThrow(ConfigError);
  });

  it('remediates, publishes the record to the audit bus and returns the outcome counts', async () => {
    process.env.LOGWARDEN_POLICY_FILE = policyFile(policyWith({ cloudtrail: section }));
    let logging = false;
    ct.on(GetTrailStatusCommand).callsFake(() => ({ IsLogging: logging }));
    ct.on(StartLoggingCommand).callsFake(() => {
      logging = true;
      return {};
    });
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
    const handler = createLambdaHandler(cloudtrail);
    const result = await handler(trailEvent('StopLogging', { name: TRAIL }), context);
    expect(result).toEqual({ records: 1, outcomes: { remediated: 1 } });
    const detail = JSON.parse(eb.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0]?.Detail ?? '{}');
    expect(detail).toMatchObject({ outcome: 'remediated', account: ACCOUNT, guardrail: 'cloudtrail' });
  });

  it('a sweep publishes one summary for the compliant trails and every other result in full', async () => {
    const second = 'second-trail';
    process.env.LOGWARDEN_POLICY_FILE = policyFile(
      policyWith({
        cloudtrail: { trails: [...section.trails, { name: second, homeRegion: 'us-east-1', s3BucketName: BUCKET }] },
      }),
    );
    // Logging and delivering: compliant.
    ct.on(GetTrailStatusCommand).resolves({ IsLogging: true, StartLoggingTime: new Date(), LatestDeliveryTime: new Date() });
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }, { EventId: '2' }] });
    const handler = createLambdaHandler(cloudtrail);
    const result = await handler(sweepEvent({ account: ACCOUNT, region: 'us-east-1', guardrail: 'cloudtrail' }), context);
    expect(result.outcomes).toEqual({ compliant: 2 });
    const published = eb.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []);
    expect(published).toHaveLength(1);
    const summary = JSON.parse(published[0]?.Detail ?? '{}');
    expect(summary).toMatchObject({
      outcome: 'compliant',
      resource: { type: 'logwarden::Sweep', id: 'cloudtrail/us-east-1' },
      sweep: { checked: 2, compliant: 2, outcomes: { compliant: 2 } },
    });
    expect(summary.sweep.compliantDigest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('fails the invocation when the audit bus does not take the record (EventBridge retries, then the DLQ)', async () => {
    process.env.LOGWARDEN_POLICY_FILE = policyFile(policyWith({ cloudtrail: section }));
    ct.on(GetTrailStatusCommand).resolves({ IsLogging: true });
    eb.on(PutEventsCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    const handler = createLambdaHandler(cloudtrail);
    await expect(handler(trailEvent('StopLogging', { name: TRAIL }), context)).rejects.toBeInstanceOf(AuditDeliveryError);
  });

  it('fails the invocation after publishing when a remediation failed transiently', async () => {
    process.env.LOGWARDEN_POLICY_FILE = policyFile(policyWith({ cloudtrail: section }));
    ct.on(GetTrailStatusCommand).resolves({ IsLogging: false });
    ct.on(StartLoggingCommand).rejects(
      Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }),
    );
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
    const handler = createLambdaHandler(cloudtrail);
    await expect(handler(trailEvent('StopLogging', { name: TRAIL }), context)).rejects.toBeInstanceOf(RemediationError);
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(1);
  });
});
