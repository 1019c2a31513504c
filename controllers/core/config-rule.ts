import { randomUUID } from 'node:crypto';
import { ConfigServiceClient, type Evaluation, PutEvaluationsCommand } from '@aws-sdk/client-config-service';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import type { AwsClients } from './aws.js';
import { invocationAccount, startLambda } from './bootstrap.js';
import { mapLimit } from './concurrency.js';
import { type Decision, decide, resourceKey, withNotes } from './decide.js';
import { errorCode, errorMessage, LogwardenError } from './errors.js';
import type { PolicyExemption } from './exemptions.js';
import { filteredOut } from './filters.js';
import { ACCOUNT_RESOURCE_TYPE, configRuleName } from './intake.js';
import type { Logger } from './log.js';
import type { Policy } from './policy.js';
import type { AnyGuardrail, GuardrailPolicyBase, Listing, Resolution, ResourceRef, Scope } from './types.js';

/** PutEvaluations takes at most 100 evaluations per call. */
const MAX_EVALUATIONS_PER_CALL = 100;
/** Config cuts annotations at 256 characters. */
export const MAX_ANNOTATION_CHARS = 256;

export type ComplianceType = 'COMPLIANT' | 'NON_COMPLIANT' | 'NOT_APPLICABLE';

export { configRuleName };

/** PutEvaluations failed for some evaluations; the invocation fails so that Config shows the error. */
export class EvaluationDeliveryError extends LogwardenError {
  readonly failed: number;
  constructor(failed: number, detail: string) {
    super('EvaluationDeliveryFailed', `${failed} evaluation(s) were not accepted by AWS Config: ${detail}`);
    this.failed = failed;
  }
}

const itemSchema = z
  .object({
    resourceType: z.string().min(1),
    resourceId: z.string().min(1),
    configurationItemCaptureTime: z.string().nullish(),
    configurationItemStatus: z.string().nullish(),
  })
  .passthrough();

const invokingEventSchema = z.discriminatedUnion('messageType', [
  z.object({ messageType: z.literal('ScheduledNotification'), notificationCreationTime: z.string().nullish() }).passthrough(),
  z
    .object({
      messageType: z.literal('ConfigurationItemChangeNotification'),
      configurationItem: itemSchema,
      notificationCreationTime: z.string().nullish(),
    })
    .passthrough(),
  z
    .object({
      messageType: z.literal('OversizedConfigurationItemChangeNotification'),
      configurationItemSummary: itemSchema,
      notificationCreationTime: z.string().nullish(),
    })
    .passthrough(),
]);

const ruleEventSchema = z
  .object({
    invokingEvent: z.string().min(2),
    resultToken: z.string().min(1),
    eventLeftScope: z.boolean().nullish(),
    accountId: z.string().nullish(),
    configRuleName: z.string().nullish(),
  })
  .passthrough();

/** What a Config rule invocation asks for. */
export type RuleRequest =
  | { kind: 'periodic'; resultToken: string; orderingTimestamp: Date }
  | {
      kind: 'change';
      resultToken: string;
      orderingTimestamp: Date;
      resourceType: string;
      resourceId: string;
      status: string | null;
    };

/** Parse a Config rule invocation. Throws {@link ConfigRuleEventError} when it is not one. */
export function parseRuleEvent(event: unknown, now: Date): RuleRequest {
  const outer = ruleEventSchema.safeParse(event);
  if (!outer.success) throw new ConfigRuleEventError(`not a Config rule invocation: ${outer.error.issues[0]?.message}`);
  let inner: unknown;
  try {
    inner = JSON.parse(outer.data.invokingEvent);
  } catch {
    throw new ConfigRuleEventError('invokingEvent is not JSON');
  }
  const parsed = invokingEventSchema.safeParse(inner);
  if (!parsed.success) {
    throw new ConfigRuleEventError(`unsupported invokingEvent: ${parsed.error.issues[0]?.message}`);
  }
  const time = (s: string | null | undefined) => {
    const d = s ? new Date(s) : now;
    return Number.isNaN(d.getTime()) ? now : d;
  };
  const m = parsed.data;
  if (m.messageType === 'ScheduledNotification') {
    return { kind: 'periodic', resultToken: outer.data.resultToken, orderingTimestamp: time(m.notificationCreationTime) };
  }
  const item = m.messageType === 'ConfigurationItemChangeNotification' ? m.configurationItem : m.configurationItemSummary;
  return {
    kind: 'change',
    resultToken: outer.data.resultToken,
    orderingTimestamp: time(item.configurationItemCaptureTime ?? m.notificationCreationTime),
    resourceType: item.resourceType,
    resourceId: item.resourceId,
    status: item.configurationItemStatus ?? null,
  };
}

export class ConfigRuleEventError extends LogwardenError {
  constructor(message: string) {
    super('MalformedConfigRuleEvent', message);
  }
}

function annotation(text: string): string {
  return text.length <= MAX_ANNOTATION_CHARS ? text : `${text.slice(0, MAX_ANNOTATION_CHARS - 1)}…`;
}

function evaluation(type: string, id: string, compliance: ComplianceType, why: string, at: Date): Evaluation {
  return {
    ComplianceResourceType: type,
    ComplianceResourceId: id,
    ComplianceType: compliance,
    Annotation: annotation(why),
    OrderingTimestamp: at,
  };
}

/** A decision as Config reports it: exempt and skipped resources are NOT_APPLICABLE. Pure. */
function complianceOf(decision: Decision): { compliance: ComplianceType; why: string } {
  switch (decision.kind) {
    case 'skip':
    case 'exempt':
      return { compliance: 'NOT_APPLICABLE', why: decision.reason };
    case 'compliant':
      return { compliance: 'COMPLIANT', why: withNotes('matches the logwarden policy', decision.notes) };
    default:
      return {
        compliance: 'NON_COMPLIANT',
        why: `differs from the logwarden policy: ${decision.drift.map((d) => d.property).join(', ')}`,
      };
  }
}

const failClosed = (error: unknown) => `could not be evaluated (fail closed): ${errorCode(error)}: ${errorMessage(error)}`;

/**
 * Evaluate one resource with the controller's own decision path (`decide`): observe → scope →
 * exemption → diff. Fails closed: a resource that cannot be evaluated is NON_COMPLIANT, never COMPLIANT.
 */
export async function evaluateRef(
  guardrail: AnyGuardrail,
  ref: ResourceRef,
  scope: Scope<GuardrailPolicyBase>,
  at: Date,
  exemptions: readonly PolicyExemption[],
  preread?: unknown,
): Promise<Evaluation> {
  try {
    const desired = guardrail.desired(ref, scope.policy);
    const state = preread !== undefined ? preread : await guardrail.observe(ref, scope);
    const decision = decide({ guardrail, ref, state, desired, scope, now: scope.now(), exemptions, detectOnly: true });
    const { compliance, why } = complianceOf(decision);
    return evaluation(ref.type, ref.id, compliance, why, at);
  } catch (error) {
    return evaluation(ref.type, ref.id, 'NON_COMPLIANT', failClosed(error), at);
  }
}

export interface EvaluateOptions {
  guardrail: AnyGuardrail;
  policy: Policy;
  account: string;
  region: string;
  clients: AwsClients;
  logger: Logger;
  now?: () => Date;
}

/** The evaluations for one Config rule invocation (no PutEvaluations yet). */
export async function evaluationsFor(request: RuleRequest, o: EvaluateOptions): Promise<Evaluation[]> {
  const g = o.guardrail;
  const at = request.orderingTimestamp;
  const accountEval = (c: ComplianceType, why: string) => [evaluation(ACCOUNT_RESOURCE_TYPE, o.account, c, why, at)];
  const resourceEval = (c: ComplianceType, why: string) =>
    request.kind === 'change' ? [evaluation(request.resourceType, request.resourceId, c, why, at)] : accountEval(c, why);

  // The controller's own filters: the same inputs are left alone on both paths.
  const filterInput = { guardrail: g, policy: o.policy, governedAccount: o.account, account: o.account, region: o.region };
  const filtered = filteredOut(filterInput);
  if (filtered) return resourceEval('NOT_APPLICABLE', filtered);
  const scope: Scope<GuardrailPolicyBase> = {
    account: o.account,
    region: o.region,
    policy: o.policy.guardrails[g.name] as GuardrailPolicyBase,
    clients: o.clients,
    logger: o.logger,
    now: o.now ?? (() => new Date()),
    memo: new Map(),
    runId: randomUUID(),
  };
  const found = request.kind === 'change' ? changedResource(request, g, scope) : await everyResource(g, scope);
  if ('evaluate' in found) return found.evaluate(resourceEval, accountEval);
  const unique = [...new Map(found.refs.map((r) => [resourceKey(r), r])).values()];
  return mapLimit(unique, o.policy.controller.concurrency, (ref) =>
    evaluateRef(g, ref, scope, at, o.policy.exemptions, found.preread?.get(ref.id)),
  );
}

type Reply = (c: ComplianceType, why: string) => Evaluation[];
type Found = Listing<ResourceRef, unknown> | { evaluate: (resource: Reply, account: Reply) => Evaluation[] };

/** The resource a configuration change names, or the evaluation that replaces it. */
function changedResource(
  request: Extract<RuleRequest, { kind: 'change' }>,
  g: AnyGuardrail,
  scope: Scope<GuardrailPolicyBase>,
): Found {
  if (request.resourceType !== g.resourceType) {
    const why = `resource type ${request.resourceType} is not governed by ${g.name}`;
    return { evaluate: (resource) => resource('NOT_APPLICABLE', why) };
  }
  let resolution: Resolution<ResourceRef, unknown>;
  try {
    resolution = g.refFromResourceId(request.resourceId, scope);
  } catch (error) {
    return { evaluate: (resource) => resource('NON_COMPLIANT', failClosed(error)) };
  }
  if ('ignore' in resolution) return { evaluate: (resource) => resource('NOT_APPLICABLE', resolution.ignore) };
  if (resolution.refs.length > 0) return resolution;
  const why = `${request.resourceId} is not governed by ${g.name}`;
  return { evaluate: (resource) => resource('NOT_APPLICABLE', why) };
}

/** Every governed resource of the region (a periodic evaluation), or the account's evaluation. */
async function everyResource(g: AnyGuardrail, scope: Scope<GuardrailPolicyBase>): Promise<Found> {
  let listing: Listing<ResourceRef, unknown>;
  try {
    listing = await g.listRefs(scope);
  } catch (error) {
    // Nothing can be said about the resources: the account itself is reported, never as compliant.
    const why = `${g.name} could not list resources (fail closed): ${errorCode(error)}: ${errorMessage(error)}`;
    return { evaluate: (_resource, account) => account('NON_COMPLIANT', why) };
  }
  const refs = listing.refs.filter((r) => r.region === scope.region);
  if (refs.length > 0) return { refs, preread: listing.preread };
  const why = `no ${g.resourceType} in ${scope.region} is governed by ${g.name}`;
  return { evaluate: (_resource, account) => account('COMPLIANT', why) };
}

/** Report evaluations in calls of at most 100. Throws {@link EvaluationDeliveryError} when Config refuses some. */
async function putEvaluations(client: ConfigServiceClient, resultToken: string, evaluations: readonly Evaluation[]) {
  const failed: Evaluation[] = [];
  for (let i = 0; i < evaluations.length; i += MAX_EVALUATIONS_PER_CALL) {
    const batch = evaluations.slice(i, i + MAX_EVALUATIONS_PER_CALL);
    const out = await client.send(new PutEvaluationsCommand({ ResultToken: resultToken, Evaluations: batch }));
    failed.push(...(out.FailedEvaluations ?? []));
  }
  if (failed.length > 0) {
    throw new EvaluationDeliveryError(
      failed.length,
      failed
        .slice(0, 5)
        .map((f) => `${f.ComplianceResourceType}/${f.ComplianceResourceId}`)
        .join(', '),
    );
  }
}

/** Evaluate one Config rule invocation and report it. Returns the evaluations sent. */
export async function handleConfigRuleEvent(event: unknown, o: EvaluateOptions): Promise<Evaluation[]> {
  const now = o.now ?? (() => new Date());
  const request = parseRuleEvent(event, now());
  const evaluations = await evaluationsFor(request, o);
  await putEvaluations(o.clients.get(ConfigServiceClient, o.region), request.resultToken, evaluations);
  return evaluations;
}

/**
 * The Lambda handler of a guardrail's AWS Config custom rule. It uses the guardrail's own detection
 * code (`listRefs`/`refFromResourceId`, `observe`, `skipReason`, `tagsOf`, `diff`), so the Config
 * console shows exactly what the controller would act on; exempt resources are `NOT_APPLICABLE`.
 * The policy is read at cold start like the controller's (`policy.json` next to the code).
 *
 * @example
 * export const handler = createConfigRuleHandler(cloudtrail);
 * @public Imported by the Lambda entry `infra/bundle.ts` generates.
 */
export function createConfigRuleHandler(guardrail: AnyGuardrail) {
  const start = startLambda(`logwarden-${guardrail.name}-config-rule`, [guardrail]);
  const { policy, region, clients, logger } = start;
  return async (event: unknown, context?: Partial<Context>) => {
    const account = invocationAccount(start, context);
    const evaluations = await handleConfigRuleEvent(event, { guardrail, policy, account, region, clients, logger });
    const counts: Record<string, number> = {};
    for (const e of evaluations) counts[e.ComplianceType ?? 'UNKNOWN'] = (counts[e.ComplianceType ?? 'UNKNOWN'] ?? 0) + 1;
    logger.info('config rule evaluated', { guardrail: guardrail.name, counts });
    return { evaluations: evaluations.length, counts };
  };
}
