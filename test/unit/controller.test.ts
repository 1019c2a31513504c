import { describe, expect, it } from 'vitest';
import { apiCallEvent, configComplianceEvent, sweepEvent } from '../../cli/events.js';
import { AwsClients } from '../../controllers/core/aws.js';
import { mapLimit } from '../../controllers/core/concurrency.js';
import { Controller } from '../../controllers/core/controller.js';
import { createLogger } from '../../controllers/core/log.js';
import { parsePolicy } from '../../controllers/core/policy.js';
import { auditRecordSchema } from '../../controllers/core/record.js';
import type { AnyGuardrail } from '../../controllers/core/types.js';
import { fakeGuardrail, type Widget } from '../helpers/fake-guardrail.js';
import { policyWith } from '../helpers/policy.js';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

function setup(
  opts: {
    mode?: 'remediate' | 'notify';
    dryRun?: boolean;
    hooks?: Parameters<typeof fakeGuardrail>[1];
    widgets?: Record<string, Widget>;
    exemptions?: Record<string, unknown>[];
  } = {},
) {
  const world = new Map(Object.entries(opts.widgets ?? { w1: { enabled: false, tags: {} }, w2: { enabled: true, tags: {} } }));
  const { g, calls } = fakeGuardrail(world, opts.hooks);
  const policy = parsePolicy(
    {
      ...policyWith({ widgets: { mode: opts.mode ?? 'remediate', widgets: [...world.keys(), 'elsewhere'] } }),
      exemptions: opts.exemptions ?? [],
    },
    [g],
    'policy',
    { now: new Date('2026-11-26T12:00:00Z') },
  );
  const controller = new Controller({
    guardrails: [g],
    policy,
    account: ACCOUNT,
    clients: new AwsClients(),
    logger: createLogger('test'),
    dryRun: opts.dryRun,
    now: () => new Date('2026-11-26T12:00:00Z'),
  });
  return { controller, world, calls };
}

const disable = (ids: unknown, extra: Partial<Parameters<typeof apiCallEvent>[0]> = {}) =>
  apiCallEvent({
    account: ACCOUNT,
    region: REGION,
    eventSource: 'widgets.amazonaws.com',
    eventName: 'DisableWidget',
    requestParameters: { ids },
    ...extra,
  });

describe('Controller', () => {
  it('remediates, verifies and reports one schema-valid record per resource', async () => {
    const { controller, world, calls } = setup();
    const records = await controller.handleEvent(disable(['w1', 'w2', 'w1']));
    expect(records.map((r) => [r.resource.id, r.outcome])).toEqual([
      ['w1', 'remediated'],
      ['w2', 'compliant'],
    ]);
    expect(world.get('w1')?.enabled).toBe(true);
    expect(calls).toEqual(expect.arrayContaining(['get w1', 'enable w1', 'get w2']));
    expect(calls.filter((c) => c === 'get w1')).toHaveLength(2); // observe + verify
    for (const r of records) expect(auditRecordSchema.safeParse(r).success).toBe(true);
    expect(records[0]).toMatchObject({
      verified: true,
      actions: [{ api: 'widgets:Enable', ok: true, error: null }],
      trigger: { type: 'cloudtrail', eventName: 'DisableWidget' },
    });
  });

  it('a batch mixing good and bad events never throws and ends every event in records', async () => {
    const { controller } = setup();
    const batch = [
      null,
      'garbage',
      { 'detail-type': 'AWS API Call via CloudTrail' },
      disable(['w1']),
      disable('not-a-list'),
      disable(['w2'], { account: '999999999999' }),
      disable(['w2'], { errorCode: 'AccessDenied' }),
      disable(['w2'], { region: 'ap-south-1' }),
      disable(['w2'], {
        identity: { kind: 'assumed-role', account: ACCOUNT, roleName: 'logwarden-controller', path: '/logwarden/' },
      }),
      apiCallEvent({
        account: ACCOUNT,
        region: REGION,
        eventSource: 'iam.amazonaws.com',
        eventName: 'CreateUser',
        requestParameters: {},
      }),
      configComplianceEvent({
        account: ACCOUNT,
        region: REGION,
        resourceType: 'AWS::S3::Bucket',
        resourceId: 'b',
        configRuleName: 'r',
      }),
    ];
    const records = await controller.handleEvents(batch);
    expect(records.map((r) => [r.outcome, r.reason])).toEqual([
      ['ignored', 'event is not a JSON object (null)'],
      ['ignored', 'event is not a JSON object (string)'],
      ['ignored', expect.stringMatching(/^not an EventBridge event: /)],
      ['remediated', 'restored enabled'],
      ['ignored', 'no ids'],
      ['ignored', `event for account 999999999999; this controller governs ${ACCOUNT}`],
      ['ignored', 'the DisableWidget call failed (AccessDenied); nothing changed'],
      ['ignored', 'region ap-south-1 is not governed by the policy'],
      ['ignored', `made by logwarden's own role arn:aws:iam::${ACCOUNT}:role/logwarden/logwarden-controller`],
      ['ignored', 'no guardrail reacts to aws.iam CreateUser'],
      ['ignored', 'no guardrail governs resource type AWS::S3::Bucket'],
    ]);
    for (const r of records) expect(auditRecordSchema.safeParse(r).success).toBe(true);
  });

  it('notify mode and dry runs change nothing and report drift-detected with the plan', async () => {
    for (const opts of [{ mode: 'notify' as const }, { dryRun: true }]) {
      const { controller, world, calls } = setup(opts);
      const [r] = await controller.handleEvent(disable(['w1']));
      expect(r).toMatchObject({ outcome: 'drift-detected', mode: opts.dryRun ? 'dry-run' : 'notify', actions: [] });
      expect(r?.reason).toContain('would run: widgets:Enable');
      expect(world.get('w1')?.enabled).toBe(false);
      expect(calls).not.toContain('enable w1');
    }
  });

  it('a policy-exempt resource is reported exempt and untouched; an expired one and a tag-only request are remediated', async () => {
    const { controller, world } = setup({
      widgets: {
        w1: { enabled: false, tags: {} },
        w2: { enabled: false, tags: {} },
        w3: { enabled: false, tags: { 'logwarden:exempt': 'CHG-5' } },
      },
      exemptions: [
        { guardrail: 'widgets', resource: 'w1', reason: 'migration', ticket: 'CHG-7', expires: '2027-01-01' },
        { guardrail: 'widgets', resource: 'w2', reason: 'old', approver: 'ciso', expires: '2026-01-01' },
      ],
    });
    const records = await controller.handleEvent(disable(['w1', 'w2', 'w3']));
    expect(records.map((r) => [r.outcome, r.reason])).toEqual([
      ['exempt', 'exempt: migration (ticket CHG-7; until 2027-01-01)'],
      ['remediated', 'restored enabled (policy exemption expired on 2026-01-01 (approved by ciso))'],
      [
        'remediated',
        'restored enabled (unapproved exemption request ignored: tag logwarden:exempt="CHG-5"; exemptions are granted in the policy)',
      ],
    ]);
    expect(records[0]?.exemption).toEqual({ expires: '2027-01-01', approver: null, ticket: 'CHG-7' });
    expect(records[1]?.exemption).toBeUndefined();
    expect(world.get('w1')?.enabled).toBe(false);
    expect(world.get('w3')?.enabled).toBe(true);
  });

  it('a guardrail that reads tags only on drift (readTags): read for drift only; unreadable tags are a note, never a failure', async () => {
    const { controller, world } = setup({
      widgets: { w1: { enabled: false, tags: {} }, w2: { enabled: true, tags: {} }, w3: { enabled: false, tags: {} } },
    });
    const [g] = controller.guardrails;
    const read: string[] = [];
    (g as AnyGuardrail).readTags = async (ref: { id: string }) => {
      read.push(ref.id);
      if (ref.id === 'w3') throw Object.assign(new Error('denied'), { name: 'AccessDenied' });
      return { 'logwarden:exempt': 'please' };
    };
    const records = await controller.handleEvent(disable(['w1', 'w2', 'w3']));
    expect(read).toEqual(['w1', 'w3']);
    expect(records.map((r) => [r.outcome, r.reason])).toEqual([
      [
        'remediated',
        'restored enabled (unapproved exemption request ignored: tag logwarden:exempt="please"; exemptions are granted in the policy)',
      ],
      ['compliant', 'matches the policy'],
      ['remediated', 'restored enabled (tags not read for the exemption-request check: AccessDenied)'],
    ]);
    expect(world.get('w3')?.enabled).toBe(true);
  });

  it('a failed write is a failed record with the API error; throttling is retryable, access denied is not', async () => {
    const throttled = setup({ hooks: { failApply: Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }) } });
    const [t] = await throttled.controller.handleEvent(disable(['w1']));
    expect(t).toMatchObject({
      outcome: 'failed',
      retryable: true,
      reason: 'widgets:Enable failed: ThrottlingException: Rate exceeded',
      actions: [{ api: 'widgets:Enable', ok: false, error: 'ThrottlingException: Rate exceeded' }],
    });
    const denied = setup({
      hooks: { failApply: Object.assign(new Error('no'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } }) },
    });
    const [d] = await denied.controller.handleEvent(disable(['w1']));
    expect(d).toMatchObject({ outcome: 'failed', retryable: false });
  });

  it('a write that does not stick fails verification (never reported remediated)', async () => {
    const { controller } = setup({ hooks: { noop: true } });
    const [r] = await controller.handleEvent(disable(['w1']));
    expect(r).toMatchObject({
      outcome: 'failed',
      verified: false,
      reason: 'verification failed: still different after remediation: enabled',
    });
  });

  it('a read that throws fails closed: failed, never compliant', async () => {
    const { controller } = setup({ hooks: { observeError: Object.assign(new Error('boom'), { name: 'InternalError' }) } });
    const [r] = await controller.handleEvent(disable(['w2']));
    expect(r).toMatchObject({ outcome: 'failed', reason: 'InternalError: boom', retryable: true });
  });

  it('a resource owned elsewhere is ignored with the reason', async () => {
    const { controller } = setup();
    const [r] = await controller.handleEvent(disable(['elsewhere']));
    expect(r).toMatchObject({ outcome: 'ignored', reason: 'owned by another region' });
  });

  it('a sweep reconciles every listed resource; a Config event reconciles one', async () => {
    const { controller, world } = setup();
    const records = await controller.handleEvent(sweepEvent({ account: ACCOUNT, region: REGION }));
    expect(records.map((r) => [r.resource.id, r.outcome, r.trigger.type])).toEqual([
      ['w1', 'remediated', 'sweep'],
      ['w2', 'compliant', 'sweep'],
      ['elsewhere', 'ignored', 'sweep'],
    ]);
    world.set('w2', { enabled: false, tags: {} });
    const [c] = await controller.handleEvent(
      configComplianceEvent({
        account: ACCOUNT,
        region: REGION,
        resourceType: 'Test::Widget',
        resourceId: 'w2',
        configRuleName: 'logwarden-widgets',
      }),
    );
    expect(c).toMatchObject({ outcome: 'remediated', trigger: { type: 'config' } });
  });

  it('a guardrail missing from the policy is off: its events are ignored', async () => {
    const { g } = fakeGuardrail(new Map());
    const controller = new Controller({
      guardrails: [g],
      policy: parsePolicy(policyWith({}), [g]),
      account: ACCOUNT,
      clients: new AwsClients(),
      logger: createLogger('test'),
    });
    const [r] = await controller.handleEvent(disable(['w1']));
    expect(r).toMatchObject({ outcome: 'ignored', reason: 'guardrail widgets is not enabled in the policy' });
  });
});

describe('mapLimit', () => {
  it('keeps order and never runs more than the limit at once', async () => {
    let running = 0;
    let peak = 0;
    const out = await mapLimit([5, 1, 4, 2, 3], 2, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, n));
      running--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30]);
    expect(peak).toBe(2);
  });
});
