import {
  CloudTrailClient,
  DeleteTrailCommand,
  DescribeTrailsCommand,
  GetEventSelectorsCommand,
  GetTrailCommand,
  GetTrailStatusCommand,
  PutEventSelectorsCommand,
  StopLoggingCommand,
  UpdateTrailCommand,
} from '@aws-sdk/client-cloudtrail';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { repeats } from '../../cli/demo/repeats.js';
import { apiCallEvent } from '../../cli/events.js';
import type { DemoContext, DemoGuardrail } from '../core/demo.js';
import { functionRoleName, ROLE_PATH } from '../core/identity.js';
import { cloudtrail } from './index.js';

const TRAIL = 'org-audit-trail';
const BUCKET = 'central-cloudtrail-logs';

const ct = (ctx: DemoContext) => ctx.clients.get(CloudTrailClient, ctx.region);
const arnOf = (ctx: DemoContext) => `arn:aws:cloudtrail:${ctx.region}:${ctx.account}:trail/${TRAIL}`;
const event = (
  ctx: DemoContext,
  eventName: string,
  requestParameters: Record<string, unknown>,
  identity?: Parameters<typeof apiCallEvent>[0]['identity'],
) =>
  apiCallEvent({
    account: ctx.account,
    region: ctx.region,
    eventSource: 'cloudtrail.amazonaws.com',
    eventName,
    requestParameters,
    identity,
  });

/** Null when the trail is as the demo policy wants it, else what is wrong. */
async function trailProblems(ctx: DemoContext): Promise<string | null> {
  try {
    const trail = (await ct(ctx).send(new GetTrailCommand({ Name: TRAIL }))).Trail;
    const status = await ct(ctx).send(new GetTrailStatusCommand({ Name: TRAIL }));
    const sel = await ct(ctx).send(new GetEventSelectorsCommand({ TrailName: TRAIL }));
    const problems: string[] = [];
    if (!status.IsLogging) problems.push('not logging');
    if (!trail?.IsMultiRegionTrail) problems.push('not multi-region');
    if (!trail?.LogFileValidationEnabled) problems.push('log file validation off');
    if (trail?.S3BucketName !== BUCKET) problems.push(`bucket is ${trail?.S3BucketName}`);
    const s = sel.EventSelectors?.[0];
    if (s?.ReadWriteType !== 'All' || s.IncludeManagementEvents !== true) problems.push('management events not fully selected');
    return problems.length > 0 ? problems.join(', ') : null;
  } catch (error) {
    return `cannot read the trail: ${(error as Error).name}`;
  }
}

/** The CloudTrail part of the demo: one organization-style trail, stopped, weakened, narrowed and deleted. */
export const demo: DemoGuardrail = {
  guardrail: cloudtrail,
  policySection: (ctx) => ({
    mode: 'remediate',
    trails: [
      {
        name: TRAIL,
        homeRegion: ctx.region,
        s3BucketName: BUCKET,
        s3KeyPrefix: 'cloudtrail',
        isMultiRegionTrail: true,
        enableLogFileValidation: true,
        includeGlobalServiceEvents: true,
      },
    ],
  }),
  async prepare(ctx) {
    await ctx.clients.get(S3Client, ctx.region).send(new CreateBucketCommand({ Bucket: BUCKET }));
  },
  async duplicates(ctx) {
    const trails = (await ct(ctx).send(new DescribeTrailsCommand({}))).trailList ?? [];
    return repeats(
      trails.map((t) => t.Name ?? '?'),
      (name, n) => `${n} trails named ${name}`,
    );
  },
  scenarios: [
    {
      title: 'CloudTrail: StopLogging on the trail (named by its ARN)',
      minimum: { calls: 3, why: 'GetTrailStatus (is it logging?), StartLogging, GetTrailStatus (verify).' },
      async tamper(ctx) {
        await ct(ctx).send(new StopLoggingCommand({ Name: arnOf(ctx) }));
        return [event(ctx, 'StopLogging', { name: arnOf(ctx) })];
      },
      check: trailProblems,
    },
    {
      title: 'CloudTrail: UpdateTrail turns off multi-region and log file validation, moves the bucket',
      minimum: { calls: 3, why: 'GetTrail (settings), one UpdateTrail restoring every field, GetTrail (verify).' },
      async tamper(ctx) {
        const req = {
          Name: TRAIL,
          IsMultiRegionTrail: false,
          EnableLogFileValidation: false,
          S3BucketName: 'attacker-owned-bucket',
        };
        await ct(ctx).send(new UpdateTrailCommand(req));
        return [
          event(ctx, 'UpdateTrail', {
            name: TRAIL,
            isMultiRegionTrail: false,
            enableLogFileValidation: false,
            s3BucketName: 'attacker-owned-bucket',
          }),
        ];
      },
      check: trailProblems,
    },
    {
      title: 'CloudTrail: PutEventSelectors narrows the trail to read-only, no management events',
      minimum: { calls: 3, why: 'GetEventSelectors, PutEventSelectors, GetEventSelectors (verify).' },
      async tamper(ctx) {
        await ct(ctx).send(
          new PutEventSelectorsCommand({
            TrailName: TRAIL,
            EventSelectors: [{ ReadWriteType: 'ReadOnly', IncludeManagementEvents: false }],
          }),
        );
        return [
          event(ctx, 'PutEventSelectors', {
            trailName: TRAIL,
            eventSelectors: [
              { readWriteType: 'ReadOnly', includeManagementEvents: false, dataResources: [], excludeManagementEventSources: [] },
            ],
          }),
        ];
      },
      check: trailProblems,
    },
    {
      title: 'CloudTrail: DeleteTrail',
      minimum: {
        calls: 6,
        why: 'GetTrail (missing), CreateTrail, PutEventSelectors, StartLogging, GetTrail + GetTrailStatus (verify).',
      },
      async tamper(ctx) {
        await ct(ctx).send(new DeleteTrailCommand({ Name: TRAIL }));
        return [event(ctx, 'DeleteTrail', { name: TRAIL })];
      },
      check: trailProblems,
    },
    {
      title: "CloudTrail: logwarden's own StartLogging/UpdateTrail echoed back (no loop)",
      minimum: { calls: 0, why: 'Its own call: recognised from the event alone, nothing to read or write.' },
      async tamper(ctx) {
        const own = {
          kind: 'assumed-role' as const,
          account: ctx.account,
          roleName: functionRoleName('controller', 'cloudtrail', ctx.region),
          path: ROLE_PATH,
        };
        return [event(ctx, 'UpdateTrail', { name: TRAIL, isMultiRegionTrail: true }, own)];
      },
      check: trailProblems,
      expect: ['ignored'],
    },
  ],
};
