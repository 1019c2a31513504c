/**
 * Fault injection on the emulator: the controllers' SDK clients talk to the emulator through the
 * fault proxy (test/helpers/fault-proxy.ts) with the SDK's own retries on (standard mode, 3
 * attempts, 250 ms request timeout). With 30% of calls failing (mixed kinds, fixed seed), every
 * scenario of every guardrail must still end remediated, re-delivering a thrown invocation as
 * EventBridge would (bounded); every audit record produced must be on the bus exactly once or in the
 * log with the fallback marker; no trail, flow log or detector may be duplicated; and permanent
 * errors (access denied) must not be retried.
 *
 * Emulator gaps, covered elsewhere: a write applied and then its answer lost (`reset-after`) is
 * not in the 30% mix for every operation, because moto ignores idempotency tokens (GuardDuty's
 * CreateDetector ClientToken: a retried call makes a second detector, which AWS refuses; PutEvents
 * is at-least-once on AWS too). It is tested below for CreateFlowLogs and for PutEvents on its own.
 */
import { describe, expect, it } from 'vitest';
import { type AuditSink, EventBridgeAuditPublisher } from '../../controllers/core/audit.js';
import { AwsClients } from '../../controllers/core/aws.js';
import type { DemoGuardrail } from '../../controllers/core/demo.js';
import { AUDIT_FALLBACK_MARKER, type Logger } from '../../controllers/core/log.js';
import type { AuditRecord } from '../../controllers/core/record.js';
import { createRuntime, type Runtime } from '../../controllers/core/runtime.js';
import { ACCOUNT, AUDIT_BUS, CREDENTIALS, createAuditBus, REGION, useEmulator } from '../helpers/emulator.js';
import { type FaultKind, type FaultProxy, type FaultRule, startFaultProxy } from '../helpers/fault-proxy.js';
import { deliverWithRedelivery, demoContext, demoPolicy, demoSuites, errorText } from './support.js';

const emu = useEmulator();
const SUITES = await demoSuites();
/** Fixed for reproducible runs; LOGWARDEN_FAULT_SEED explores others. */
const SEED = Number(process.env.LOGWARDEN_FAULT_SEED ?? 20_261_126);
const FAULT_RATE = 0.3;
const MIXED: FaultKind[] = ['throttle', 'http429', 'http500', 'http503', 'reset', 'timeout', 'partial'];
const REQUEST_TIMEOUT_MS = 250;
const MAX_DELIVERIES = 10;

/** A logger that keeps the records written with the fallback marker (the audit bus did not take them). */
function capturingLogger(): { logger: Logger; fallback: AuditRecord[] } {
  const fallback: AuditRecord[] = [];
  const noop = () => undefined;
  const logger = {
    info: noop,
    warn: noop,
    debug: noop,
    error(_message: string, extra?: { marker?: string; record?: AuditRecord }) {
      if (extra?.marker === AUDIT_FALLBACK_MARKER && extra.record) fallback.push(extra.record);
    },
  } as unknown as Logger;
  return { logger, fallback };
}

interface Rig {
  proxy: FaultProxy;
  runtime: Runtime;
  fallback: AuditRecord[];
  /** IAM actions of the SDK commands sent through the faulty runtime (before the SDK's retries). */
  commands: string[];
}

/** Baseline through plain clients, then a runtime whose every SDK call goes through the proxy. */
async function rig(demo: DemoGuardrail, seed: number): Promise<Rig & { audit: Awaited<ReturnType<typeof createAuditBus>> }> {
  const setup = emu.clients();
  const ctx = demoContext(setup);
  const audit = await createAuditBus(setup);
  const policy = demoPolicy([demo]);
  await demo.prepare(ctx);
  const base = createRuntime({
    guardrails: [demo.guardrail],
    policy,
    account: ACCOUNT,
    region: REGION,
    logger: capturingLogger().logger,
    clients: setup,
  });
  const baseline = await base.controller.sweep({ trigger: { type: 'cli', eventId: null, eventName: 'baseline', actor: 'test' } });
  expect(baseline.filter((r) => r.outcome === 'failed')).toEqual([]);
  await audit.drain();

  const proxy = await startFaultProxy({ target: emu.endpoint, seed, holdMs: REQUEST_TIMEOUT_MS * 2 });
  const commands: string[] = [];
  const clients = new AwsClients({
    endpoint: proxy.endpoint,
    credentials: CREDENTIALS,
    maxAttempts: 3,
    retryMode: 'standard',
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    recorder: ({ action }) => commands.push(action),
  });
  const { logger, fallback } = capturingLogger();
  const sink: AuditSink = new EventBridgeAuditPublisher({
    clients,
    eventBus: AUDIT_BUS,
    region: REGION,
    logger,
    baseDelayMs: 20,
  });
  const runtime = createRuntime({
    guardrails: [demo.guardrail],
    policy,
    account: ACCOUNT,
    region: REGION,
    logger,
    clients,
    sink,
  });
  return { proxy, runtime, fallback, commands, audit };
}

/** Every record produced is on the bus exactly once, or (only) in the fallback log. */
function accountFor(produced: readonly AuditRecord[], onBus: readonly AuditRecord[], fallback: readonly AuditRecord[]) {
  const busCount = new Map<string, number>();
  for (const r of onBus) busCount.set(r.id, (busCount.get(r.id) ?? 0) + 1);
  const fallbackIds = new Set(fallback.map((r) => r.id));
  const producedIds = new Set(produced.map((r) => r.id));
  const problems: string[] = [];
  for (const r of produced) {
    const n = busCount.get(r.id) ?? 0;
    if (n > 1) problems.push(`${r.id} on the bus ${n} times`);
    if (n === 0 && !fallbackIds.has(r.id))
      problems.push(`${r.id} (${r.outcome}) lost: neither on the bus nor in the fallback log`);
  }
  for (const id of busCount.keys()) if (!producedIds.has(id)) problems.push(`${id} on the bus but never produced`);
  return {
    problems,
    onBus: onBus.length,
    fallback: fallbackIds.size,
    bothSides: [...fallbackIds].filter((id) => busCount.has(id)).length,
  };
}

/** The demo of one registered guardrail, for the tests that are about one service's behaviour. */
function suite(name: string): DemoGuardrail {
  const found = SUITES.find(([n]) => n === name);
  if (!found) throw new Error(`no registered guardrail ${name}`);
  return found[1];
}

const mixedFaults = (rate = FAULT_RATE): FaultRule[] => [{ match: ['*:*'], probability: rate, kinds: MIXED }];

describe.each(SUITES)('%s with 30 percent of calls failing', (_name, demo) => {
  it('every scenario ends as expected; every record on the bus once or in the fallback log; no duplicates', async () => {
    const { proxy, runtime, fallback, commands, audit } = await rig(demo, SEED);
    const ctx = demoContext(emu.clients());
    const totals = {
      scenarios: 0,
      remediatedFirstDelivery: 0,
      commands: 0,
      requests: 0,
      injected: 0,
      redeliveries: 0,
      produced: 0,
      onBus: 0,
      fallback: 0,
    };
    try {
      for (const scenario of demo.scenarios) {
        const events = await scenario.tamper(ctx);
        proxy.resetStats();
        commands.length = 0;
        fallback.length = 0;
        proxy.setRules(mixedFaults());

        const produced: AuditRecord[] = [];
        let redeliveries = 0;
        let remediatedFirstTime = 0;
        for (const event of events) {
          const d = await deliverWithRedelivery(runtime, event, MAX_DELIVERIES);
          expect(errorText(d.error), `${scenario.title}: still failing after ${d.attempts} deliveries`).toBeUndefined();
          const expected = scenario.expect ?? ['remediated'];
          // A re-delivery after the remediation succeeded (its record was not delivered, or a later step
          // failed) finds nothing to do: compliant, or ignored when the event no longer points at a
          // resource in need (flow logs: the deleted ids map to no uncovered VPC). The state check below
          // is the proof either way.
          const allowed = d.attempts > 1 ? [...expected, 'compliant', 'ignored'] : expected;
          for (const r of d.last) expect(allowed, `${scenario.title}: ${r.reason}`).toContain(r.outcome);
          if (d.attempts === 1) remediatedFirstTime += d.last.filter((r) => r.outcome === 'remediated').length;
          produced.push(...d.records);
          redeliveries += d.attempts - 1;
        }
        proxy.setRules([]);

        expect(await scenario.check(ctx), scenario.title).toBeNull();
        expect(await demo.duplicates(ctx), scenario.title).toEqual([]);
        const account = accountFor(produced, await audit.drain(), fallback);
        expect(account.problems, scenario.title).toEqual([]);

        totals.scenarios++;
        totals.commands += commands.length;
        totals.requests += proxy.stats.requests;
        totals.injected += proxy.injectedCount();
        totals.redeliveries += redeliveries;
        totals.remediatedFirstDelivery += remediatedFirstTime;
        totals.produced += produced.length;
        totals.onBus += account.onBus;
        totals.fallback += account.fallback;
      }
      console.info(`fault figures ${demo.guardrail.name}: ${JSON.stringify(totals)}`);
      // The faults were real: about 30% of the requests that reached the proxy.
      expect(totals.injected / totals.requests).toBeGreaterThan(0.15);
      expect(totals.onBus + totals.fallback).toBeGreaterThanOrEqual(totals.produced);
    } finally {
      await proxy.stop();
    }
  });

  it('access denied on its writes: one attempt, a failed record with retryable false, no re-delivery', async () => {
    const { proxy, runtime, fallback, audit } = await rig(demo, SEED + 1);
    const ctx = demoContext(emu.clients());
    try {
      const scenario = demo.scenarios.find((s) => !s.expect || s.expect.includes('remediated'));
      if (!scenario) throw new Error(`${demo.guardrail.name} has no remediating scenario`);
      const [event] = await scenario.tamper(ctx);
      const writes = (op: { service: string; name: string }) =>
        !['events', 'sqs', 'dynamodb'].includes(op.service) && /^(Create|Update|Put|Start|Delete|Modify|Associate)/.test(op.name);
      proxy.setRules([{ match: writes, probability: 1, kinds: ['denied'] }]);

      const d = await deliverWithRedelivery(runtime, event, MAX_DELIVERIES);

      expect(errorText(d.error)).toBeUndefined();
      expect(d.attempts).toBe(1);
      expect(d.last).toHaveLength(1);
      expect(d.last[0]).toMatchObject({ outcome: 'failed', retryable: false, verified: null });
      expect(d.last[0]?.reason).toMatch(/AccessDenied|UnauthorizedOperation|AccessDeniedException|denied/i);
      // Each denied write was attempted exactly once: the SDK did not retry it, nor did EventBridge.
      const denied = Object.entries(proxy.stats.injected).filter(([k]) => k.endsWith('/denied'));
      expect(denied.length).toBeGreaterThanOrEqual(1);
      for (const [op, n] of denied) expect(n, op).toBe(1);
      expect(accountFor(d.records, await audit.drain(), fallback).problems).toEqual([]);
      console.info(
        `denied figures ${demo.guardrail.name}: ${JSON.stringify({ deliveries: d.attempts, injected: proxy.stats.injected, reason: d.last[0]?.reason.slice(0, 160) })}`,
      );
    } finally {
      await proxy.stop();
    }
  });
});

describe('the audit bus refuses every PutEvents', () => {
  it('every record is in the log with the fallback marker, none is lost; the invocation throws and is re-delivered', async () => {
    const demo = suite('cloudtrail');
    const { proxy, runtime, audit, fallback } = await rig(demo, SEED + 4);
    const ctx = demoContext(emu.clients());
    try {
      const [scenario] = demo.scenarios;
      const [event] = await (scenario as NonNullable<typeof scenario>).tamper(ctx);
      proxy.setRules([{ match: ['events:PutEvents'], probability: 1, kinds: ['http500', 'http503'] }]);

      const d = await deliverWithRedelivery(runtime, event, 3);

      expect(errorText(d.error)).toMatch(/^AuditDeliveryError/);
      expect(d.attempts).toBe(3);
      // The remediation happened on the first delivery; the re-deliveries found the trail compliant.
      expect(d.records.map((r) => r.outcome)).toEqual(['remediated', 'compliant', 'compliant']);
      expect(await (scenario as NonNullable<typeof scenario>).check(ctx)).toBeNull();
      const account = accountFor(d.records, await audit.drain(), fallback);
      expect(account.problems).toEqual([]);
      expect(account.onBus).toBe(0);
      expect(account.fallback).toBe(3);
      // Publisher: 1 call + 4 resends per delivery, each attempted 3 times by the SDK.
      expect(proxy.injectedCount()).toBe(3 * 5 * 3);
    } finally {
      await proxy.stop();
    }
  });
});

describe('answers lost after the emulator applied the call (reset-after)', () => {
  it('CreateFlowLogs applied, answer lost, SDK retries: FlowLogAlreadyExists is confirmed, no second flow log', async () => {
    const demo = suite('flow-logs');
    const { proxy, runtime, audit, fallback } = await rig(demo, SEED + 2);
    const ctx = demoContext(emu.clients());
    try {
      const [scenario] = demo.scenarios;
      const [event] = await (scenario as NonNullable<typeof scenario>).tamper(ctx);
      proxy.setRules([{ match: ['ec2:CreateFlowLogs'], probability: 1, kinds: ['reset-after'] }]);
      // Only the first attempt loses its answer.
      const once: FaultRule = {
        match: (op) => op.name === 'CreateFlowLogs' && (proxy.stats.injected['ec2:CreateFlowLogs/reset-after'] ?? 0) === 0,
        probability: 1,
        kinds: ['reset-after'],
      };
      proxy.setRules([once]);

      const d = await deliverWithRedelivery(runtime, event, MAX_DELIVERIES);

      expect(proxy.stats.injected).toEqual({ 'ec2:CreateFlowLogs/reset-after': 1 });
      expect(d.last[0]?.outcome).toBe('remediated');
      expect(await (scenario as NonNullable<typeof scenario>).check(ctx)).toBeNull();
      expect(await demo.duplicates(ctx)).toEqual([]);
      expect(accountFor(d.records, await audit.drain(), fallback).problems).toEqual([]);
    } finally {
      await proxy.stop();
    }
  });

  it('PutEvents applied, answer lost: the record is on the bus twice with the same id (at-least-once; consumers dedupe on id)', async () => {
    const demo = suite('cloudtrail');
    const { proxy, runtime, audit } = await rig(demo, SEED + 3);
    const ctx = demoContext(emu.clients());
    try {
      const [scenario] = demo.scenarios;
      const [event] = await (scenario as NonNullable<typeof scenario>).tamper(ctx);
      proxy.setRules([
        {
          match: (op) => op.name === 'PutEvents' && (proxy.stats.injected['events:PutEvents/reset-after'] ?? 0) === 0,
          probability: 1,
          kinds: ['reset-after'],
        },
      ]);

      const d = await deliverWithRedelivery(runtime, event, MAX_DELIVERIES);

      const onBus = await audit.drain();
      expect(d.records).toHaveLength(1);
      // Twice at least: on a loaded machine a slow answer may also time out and be sent once more.
      expect(onBus.length).toBeGreaterThanOrEqual(2);
      expect(new Set(onBus.map((r) => r.id))).toEqual(new Set([d.records[0]?.id]));
    } finally {
      await proxy.stop();
    }
  });
});
