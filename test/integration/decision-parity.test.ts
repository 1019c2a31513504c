/**
 * One decision path: for every scenario of every registered guardrail, the AWS Config rule evaluator
 * and the controller (detect-only) give the same compliance answer about the same resources in the
 * same state: right after the real tampering call on the emulator, and again after the remediation.
 * The resources are those the tampering event names and those a sweep lists.
 */
import { describe, expect, it } from 'vitest';
import { loadDemos } from '../../cli/demo/load.js';
import { type ComplianceType, evaluateRef } from '../../controllers/core/config-rule.js';
import { Controller } from '../../controllers/core/controller.js';
import type { DemoGuardrail } from '../../controllers/core/demo.js';
import { filteredOut } from '../../controllers/core/filters.js';
import { classify } from '../../controllers/core/intake.js';
import type { Policy } from '../../controllers/core/policy.js';
import type { Outcome, Trigger } from '../../controllers/core/record.js';
import type { GuardrailPolicyBase, ResourceRef, Scope } from '../../controllers/core/types.js';
import { ACCOUNT, quietLogger, REGION, useEmulator } from '../helpers/emulator.js';
import { demoContext, demoPolicy } from '../reliability/support.js';

const emu = useEmulator();
const demos = await loadDemos();

/** How the controller's outcome reads as a Config compliance type. */
const COMPLIANCE_OF: Record<Outcome, ComplianceType> = {
  compliant: 'COMPLIANT',
  'drift-detected': 'NON_COMPLIANT',
  failed: 'NON_COMPLIANT',
  remediated: 'NON_COMPLIANT',
  escalated: 'NON_COMPLIANT',
  exempt: 'NOT_APPLICABLE',
  ignored: 'NOT_APPLICABLE',
};

const TRIGGER: Trigger = { type: 'cli', eventId: null, eventName: 'parity', actor: 'test' };

function scopeOf(demo: DemoGuardrail, policy: Policy): Scope<GuardrailPolicyBase> {
  return {
    account: ACCOUNT,
    region: REGION,
    policy: policy.guardrails[demo.guardrail.name] as GuardrailPolicyBase,
    clients: emu.clients(),
    logger: quietLogger(),
    now: () => new Date(),
    memo: new Map(),
    runId: 'test-run',
  };
}

/** The resources the events name (after the shared filters) and those a sweep lists. */
async function refsToCompare(demo: DemoGuardrail, policy: Policy, events: unknown[]): Promise<ResourceRef[]> {
  const scope = scopeOf(demo, policy);
  const refs: ResourceRef[] = [...(await demo.guardrail.listRefs(scope)).refs];
  for (const event of events) {
    const intake = classify(event);
    if (intake.kind !== 'cloudtrail') continue;
    const filterInput = {
      guardrail: demo.guardrail,
      policy,
      governedAccount: ACCOUNT,
      account: intake.account,
      region: intake.region,
    };
    if (filteredOut({ ...filterInput, call: intake.detail })) continue;
    const resolution = await demo.guardrail.refsFromCloudTrail(intake.detail, scope);
    if ('refs' in resolution) refs.push(...resolution.refs);
  }
  return refs;
}

/** A controller of the demo's guardrail on the emulator: detect-only (`dryRun`) or remediating. */
const controllerOf = (demo: DemoGuardrail, policy: Policy, dryRun: boolean) =>
  new Controller({
    guardrails: [demo.guardrail],
    policy,
    account: ACCOUNT,
    clients: emu.clients(),
    logger: quietLogger(),
    dryRun,
  });

/** Each resource's answer from both paths, as `type|id: controller / config`. */
async function answers(demo: DemoGuardrail, policy: Policy, refs: ResourceRef[]) {
  const detectOnly = controllerOf(demo, policy, true);
  const out: { resource: string; controller: ComplianceType; config: ComplianceType; reason: string }[] = [];
  for (const ref of refs) {
    const record = await detectOnly.reconcile(demo.guardrail, ref, scopeOf(demo, policy), TRIGGER);
    const evaluation = await evaluateRef(demo.guardrail, ref, scopeOf(demo, policy), new Date(), policy.exemptions);
    const resource = `${ref.type}|${ref.id}`;
    out.push({
      resource,
      controller: COMPLIANCE_OF[record.outcome],
      config: evaluation.ComplianceType as ComplianceType,
      reason: record.reason,
    });
  }
  return out;
}

describe.each(demos.map((d) => [d.guardrail.name, d] as const))('%s: Config rule and controller agree', (_name, demo) => {
  it('on every scenario, before and after the remediation', async () => {
    const ctx = demoContext(emu.clients());
    const policy = demoPolicy([demo]);
    const remediating = controllerOf(demo, policy, false);
    await demo.prepare(ctx);
    await remediating.sweep({ trigger: TRIGGER });
    const seen = new Set<ComplianceType>();
    for (const scenario of demo.scenarios) {
      const events = await scenario.tamper(ctx);
      const refs = await refsToCompare(demo, policy, events);
      expect(refs.length, scenario.title).toBeGreaterThan(0);
      for (const answer of await answers(demo, policy, refs)) {
        expect(answer.config, `${scenario.title}: ${answer.resource} (${answer.reason})`).toBe(answer.controller);
        seen.add(answer.config);
      }
      await remediating.handleEvents(events);
      for (const answer of await answers(demo, policy, refs)) {
        expect(answer.config, `after remediation, ${scenario.title}: ${answer.resource}`).toBe(answer.controller);
      }
    }
    // The scenarios must have produced drift for the comparison to mean something.
    expect(seen).toContain('NON_COMPLIANT');
  });
});
