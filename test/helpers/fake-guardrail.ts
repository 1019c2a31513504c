import { z } from 'zod';
import { modeSchema } from '../../controllers/core/policy.js';
import type { Guardrail, ResourceRef } from '../../controllers/core/types.js';

/** An in-memory guardrail over "widgets": lets the reconcile loop be tested without AWS. */
export interface Widget {
  enabled: boolean;
  tags: Record<string, string>;
}

export function fakeGuardrail(
  world: Map<string, Widget>,
  hooks: {
    failApply?: unknown;
    noop?: boolean;
    observeError?: unknown;
    /** A disabled widget means logging is off (the breaker never holds it back); default: a setting. */
    loggingOff?: boolean;
  } = {},
) {
  const calls: string[] = [];
  const g: Guardrail<
    { mode: 'remediate' | 'notify'; widgets: string[] },
    ResourceRef,
    Widget | null,
    { enabled: true },
    { api: string; description: string }
  > = {
    name: 'widgets',
    title: 'widgets stay enabled',
    resourceType: 'Test::Widget',
    runbook: 'runbooks/widgets.md',
    policySchema: z.object({ mode: modeSchema, widgets: z.array(z.string()) }).strict(),
    loggingOffDrift: hooks.loggingOff ? ['enabled'] : [],
    iamActions: ['widgets:Get', 'widgets:Enable'],
    unscopedActions: [{ actions: ['widgets:Get', 'widgets:Enable'], why: 'a test service without resources' }],
    cloudTrailEvents: [{ source: 'aws.widgets', eventNames: ['DisableWidget'], sample: { requestParameters: { ids: ['w-1'] } } }],
    refsFromCloudTrail(detail, scope) {
      const ids = detail.requestParameters?.ids;
      if (!Array.isArray(ids)) return { ignore: 'no ids' };
      return {
        refs: ids
          .filter((i): i is string => scope.policy.widgets.includes(String(i)))
          .map((id) => ({ type: 'Test::Widget', id, arn: null, region: scope.region })),
      };
    },
    refFromResourceId: (id, scope) => ({ refs: [{ type: 'Test::Widget', id, arn: null, region: scope.region }] }),
    listRefs: async (scope) => ({
      refs: scope.policy.widgets.map((id) => ({ type: 'Test::Widget', id, arn: null, region: scope.region })),
    }),
    desired: () => ({ enabled: true }),
    async observe(ref) {
      calls.push(`get ${ref.id}`);
      if (hooks.observeError) throw hooks.observeError;
      const w = world.get(ref.id);
      return w ? { ...w, tags: { ...w.tags } } : null;
    },
    tagsOf: (s) => s?.tags ?? {},
    skipReason: (ref) => (ref.id === 'elsewhere' ? 'owned by another region' : null),
    diff: (s) => (s?.enabled ? [] : [{ property: 'enabled', observed: s?.enabled ?? null, desired: true }]),
    plan: () => [{ api: 'widgets:Enable', description: 'enable' }],
    async apply(_step, ref) {
      calls.push(`enable ${ref.id}`);
      if (hooks.failApply) throw hooks.failApply;
      if (hooks.noop) return;
      const w = world.get(ref.id);
      if (w) w.enabled = true;
    },
  };
  return { g, calls };
}
