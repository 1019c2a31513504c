import type { z } from 'zod';
import { loadCompanion, type Registry } from '../controllers/companions.js';
import { LogwardenError } from '../controllers/core/errors.js';
import type { ManifestBucketPolicy, ManifestPlace } from '../controllers/integrity/manifest.js';
import type { Deployment, DeploymentConfig } from './config.js';
import type { GuardrailDeployment } from './guardrail-deployment.js';

/** What a guardrail's infrastructure hook is given, besides the scope to build in. */
interface GuardrailInfraContext<P, C> {
  deployment: Deployment;
  /** The guardrail's section of the policy, as its `policySchema` parsed it. */
  policy: P;
  /** The member settings of the deployment config (log retention, schedules, ...). */
  member: DeploymentConfig['member'];
  /** The hook's own section of `member` (see `GuardrailInfra.config`), as its schema parsed it. */
  config: C;
}

/**
 * Infrastructure that only one guardrail needs (the S3 access-log target bucket, the flow-log
 * destination), exported as `infra` by the guardrail folder's `infra.ts`. The member stack runs it
 * in each account and region where the policy enables the guardrail, after the guardrail's own
 * functions and rules. Resources it creates in `scope` keep their ids as logical ids (the scope is a
 * `Group`), so they must be unique in the stack.
 *
 * @example
 * export const infra = guardrailInfra<MyPolicy, MyConfig>({
 *   config: { key: 'myDestination', schema: myDestinationSchema },
 *   deploy: (scope, { config }) => { if (config.enabled) new MyDestination(scope, 'MyDestination', config); },
 * });
 */
export interface GuardrailInfra<P = unknown, C = undefined> {
  /**
   * A section of the deployment config's `member` object that belongs to this hook, under `key`
   * (e.g. `member.flowLogs`). The schema should give defaults: the section may be absent.
   */
  readonly config?: { key: string; schema: z.ZodType<C> };
  deploy(scope: GuardrailDeployment, context: GuardrailInfraContext<P, C>): void;
  /**
   * The bucket policy statements `deploy` creates that logwarden owns (compared by `Sid` by the
   * integrity check), for the deployment manifest. Pure: `place` holds CDK tokens when `deploy` uses
   * it, or the manifest's `{account}`/`{region}`/`{partition}` placeholders.
   */
  ownedBucketPolicies?(
    context: Omit<GuardrailInfraContext<P, C>, 'deployment'> & { place: ManifestPlace },
  ): ManifestBucketPolicy[];
}

// biome-ignore lint/suspicious/noExplicitAny: the hooks of different guardrails have different policy and config types.
export type AnyGuardrailInfra = GuardrailInfra<any, any>;

/** Types a hook (infers its policy and config types). */
export function guardrailInfra<P, C = undefined>(hook: GuardrailInfra<P, C>): GuardrailInfra<P, C> {
  return hook;
}

/** A guardrail folder's `infra.ts` does not export a usable `infra`. */
class GuardrailInfraError extends LogwardenError {
  readonly guardrail: string;
  constructor(guardrail: string, message: string) {
    super('InvalidGuardrailInfra', `${guardrail}/infra.ts: ${message}`);
    this.guardrail = guardrail;
  }
}

function checkedHook(guardrail: string, value: unknown): AnyGuardrailInfra {
  const hook = value as Partial<AnyGuardrailInfra> | undefined;
  if (!hook || typeof hook.deploy !== 'function')
    throw new GuardrailInfraError(guardrail, 'exports no `infra` with a deploy function');
  if (hook.ownedBucketPolicies !== undefined && typeof hook.ownedBucketPolicies !== 'function')
    throw new GuardrailInfraError(guardrail, '`infra.ownedBucketPolicies` must be a function');
  const config = hook.config as { key?: unknown; schema?: { safeParse?: unknown } } | undefined;
  if (config && (typeof config.key !== 'string' || typeof config.schema?.safeParse !== 'function')) {
    throw new GuardrailInfraError(guardrail, '`infra.config` needs a key and a zod schema');
  }
  return hook as AnyGuardrailInfra;
}

/**
 * The hooks of the registry's guardrails, by guardrail name: every registered guardrail's, enabled
 * or not, as the deployment config's schema is built from them. A folder without `infra.ts` has none.
 */
export async function loadGuardrailInfra(reg: Registry): Promise<ReadonlyMap<string, AnyGuardrailInfra>> {
  const hooks = new Map<string, AnyGuardrailInfra>();
  for (const g of reg.guardrails) {
    const mod = await loadCompanion(reg, g.name, 'infra');
    if (mod) hooks.set(g.name, checkedHook(g.name, mod.infra));
  }
  return hooks;
}
