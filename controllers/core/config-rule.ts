import { join } from 'node:path';
import { ConfigServiceClient, type Evaluation, PutEvaluationsCommand } from '@aws-sdk/client-config-service';
import { z } from 'zod';
import { AwsClients } from './aws.js';
import { mapLimit } from './controller.js';
import { ConfigError, errorCode, errorMessage, LogwardenError } from './errors.js';
import { exemptionFrom } from './exemptions.js';
import { createLogger, type Logger } from './log.js';
import { loadPolicyFile, type Policy } from './policy.js';
import type { AnyGuardrail, GuardrailPolicyBase, ResourceRef, Scope } from './types.js';

/** PutEvaluations takes at most 100 evaluations per call. */
export const MAX_EVALUATIONS_PER_CALL = 100;
/** Config cuts annotations at 256 characters. */
export const MAX_ANNOTATION_CHARS = 256;
/** The resource type Config uses for an evaluation about the account as a whole. */
export const ACCOUNT_RESOURCE_TYPE = 'AWS::::Account';

export type ComplianceType = 'COMPLIANT' | 'NON_COMPLIANT' | 'NOT_APPLICABLE';

/** The name of logwarden's Config rule for a guardrail: the compliance-change rule matches on it. */
export function configRuleName(guardrailName: string): string {
  return `logwarden-${guardrailName}`;
}

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

/**
 * Evaluate one resource with the guardrail's own detection code: observe → skip reason →
 * exemption → diff. Fails closed: a resource that cannot be evaluated is NON_COMPLIANT, never COMPLIANT.
 */
export async function evaluateRef(
  g: AnyGuardrail,
  ref: ResourceRef,
  scope: Scope<GuardrailPolicyBase>,
  at: Date,
): Promise<Evaluation> {
  const ev = (c: ComplianceType, why: string) => evaluation(ref.type, ref.id, c, why, at);
  try {
    const desired = g.desired(ref, scope.policy);
    const state = await g.observe(ref, scope);
    const skip = g.skipReason?.(ref, state, scope) ?? null;
    if (skip) return ev('NOT_APPLICABLE', skip);
    const exemption = exemptionFrom(g.tagsOf(state), scope.now());
    if (exemption.exempt) {
      return ev('NOT_APPLICABLE', `exempt: ${exemption.reason}${exemption.until ? ` (until ${exemption.until})` : ''}`);
    }
    const drift = g.diff(state, desired);
    if (drift.length === 0) return ev('COMPLIANT', `matches the logwarden policy${exemption.note ? ` (${exemption.note})` : ''}`);
    return ev('NON_COMPLIANT', `differs from the logwarden policy: ${drift.map((d) => d.property).join(', ')}`);
  } catch (error) {
    return ev('NON_COMPLIANT', `could not be evaluated (fail closed): ${errorCode(error)}: ${errorMessage(error)}`);
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
  const now = o.now ?? (() => new Date());
  const accountEval = (c: ComplianceType, why: string) => [evaluation(ACCOUNT_RESOURCE_TYPE, o.account, c, why, at)];
  const resourceEval = (c: ComplianceType, why: string) =>
    request.kind === 'change' ? [evaluation(request.resourceType, request.resourceId, c, why, at)] : accountEval(c, why);

  const section = o.policy.guardrails[g.name] as GuardrailPolicyBase | undefined;
  if (!section) return resourceEval('NOT_APPLICABLE', `guardrail ${g.name} is not enabled in the logwarden policy`);
  if (o.policy.controller.excludeAccounts.includes(o.account)) {
    return resourceEval('NOT_APPLICABLE', `account ${o.account} is excluded by the logwarden policy`);
  }
  if (!o.policy.controller.regions.includes(o.region)) {
    return resourceEval('NOT_APPLICABLE', `region ${o.region} is not governed by the logwarden policy`);
  }
  const scope: Scope<GuardrailPolicyBase> = {
    account: o.account,
    region: o.region,
    policy: section,
    clients: o.clients,
    logger: o.logger,
    now,
  };

  let refs: ResourceRef[];
  if (request.kind === 'change') {
    if (request.resourceType !== g.resourceType) {
      return resourceEval('NOT_APPLICABLE', `resource type ${request.resourceType} is not governed by ${g.name}`);
    }
    let resolution: ReturnType<AnyGuardrail['refFromResourceId']>;
    try {
      resolution = g.refFromResourceId(request.resourceId, scope);
    } catch (error) {
      return resourceEval('NON_COMPLIANT', `could not be evaluated (fail closed): ${errorCode(error)}: ${errorMessage(error)}`);
    }
    if ('ignore' in resolution) return resourceEval('NOT_APPLICABLE', resolution.ignore);
    refs = resolution.refs;
    if (refs.length === 0) return resourceEval('NOT_APPLICABLE', `${request.resourceId} is not governed by ${g.name}`);
  } else {
    try {
      refs = (await g.listRefs(scope)).refs;
    } catch (error) {
      // Nothing can be said about the resources: the account itself is reported, never as compliant.
      return accountEval(
        'NON_COMPLIANT',
        `${g.name} could not list resources (fail closed): ${errorCode(error)}: ${errorMessage(error)}`,
      );
    }
    refs = refs.filter((r) => r.region === o.region);
    if (refs.length === 0) return accountEval('COMPLIANT', `no ${g.resourceType} in ${o.region} is governed by ${g.name}`);
  }
  const unique = [...new Map(refs.map((r) => [`${r.type}|${r.id}`, r])).values()];
  return mapLimit(unique, o.policy.controller.concurrency, (ref) => evaluateRef(g, ref, scope, at));
}

/** Report evaluations in calls of at most 100. Throws {@link EvaluationDeliveryError} when Config refuses some. */
export async function putEvaluations(client: ConfigServiceClient, resultToken: string, evaluations: readonly Evaluation[]) {
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

interface LambdaContext {
  invokedFunctionArn?: string;
}

/**
 * The Lambda handler of a guardrail's AWS Config custom rule. It uses the guardrail's own detection
 * code (`listRefs`/`refFromResourceId`, `observe`, `skipReason`, `tagsOf`, `diff`), so the Config
 * console shows exactly what the controller would act on; exempt resources are `NOT_APPLICABLE`.
 * The policy is read at cold start like the controller's (`policy.json` next to the code).
 *
 * @example
 * export const handler = createConfigRuleHandler(cloudtrail);
 */
export function createConfigRuleHandler(guardrail: AnyGuardrail) {
  const logger = createLogger(`logwarden-${guardrail.name}-config-rule`);
  const region = process.env.AWS_REGION;
  if (!region) throw new ConfigError('AWS_REGION', 'is not set');
  const policyFile = process.env.LOGWARDEN_POLICY_FILE ?? join(process.env.LAMBDA_TASK_ROOT ?? process.cwd(), 'policy.json');
  const policy = loadPolicyFile(policyFile, [guardrail], { onlyThese: false });
  const clients = new AwsClients();
  return async (event: unknown, context?: LambdaContext) => {
    const account = process.env.LOGWARDEN_ACCOUNT_ID ?? context?.invokedFunctionArn?.split(':')[4];
    if (!account || !/^\d{12}$/.test(account)) {
      throw new ConfigError('LOGWARDEN_ACCOUNT_ID', 'is not set and the function ARN has no account');
    }
    const evaluations = await handleConfigRuleEvent(event, { guardrail, policy, account, region, clients, logger });
    const counts: Record<string, number> = {};
    for (const e of evaluations) counts[e.ComplianceType ?? 'UNKNOWN'] = (counts[e.ComplianceType ?? 'UNKNOWN'] ?? 0) + 1;
    logger.info('config rule evaluated', { guardrail: guardrail.name, counts });
    return { evaluations: evaluations.length, counts };
  };
}

/**
 * Find the guardrail definition among a module's exports (the generic Config rule entry imports
 * `controllers/<name>/index.ts` and does not know the export's name).
 */
export function findGuardrail(mod: Record<string, unknown>, name: string): AnyGuardrail {
  const found = Object.values(mod).find(
    (v): v is AnyGuardrail =>
      !!v && typeof v === 'object' && (v as AnyGuardrail).name === name && typeof (v as AnyGuardrail).diff === 'function',
  );
  if (!found) throw new ConfigError('guardrail', `controllers/${name}/index.ts exports no guardrail named ${name}`);
  return found;
}
