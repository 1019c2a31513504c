import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { AwsClients } from './aws.js';
import { ConfigError } from './errors.js';
import { createLogger, type Logger } from './log.js';
import { loadPolicyFile, type Policy } from './policy.js';
import type { AnyGuardrail } from './types.js';

/** What every logwarden Lambda function starts from: read once, at cold start. */
export interface LambdaStart {
  region: string;
  policy: Policy;
  clients: AwsClients;
  logger: Logger;
}

/**
 * The one start-up path of every logwarden function (guardrail controllers, Config-rule evaluators,
 * the heartbeat). An invalid policy fails the init, naming the field; the policy file is bundled
 * next to the code (`policy.json`, or `LOGWARDEN_POLICY_FILE`), so its size is not limited by
 * environment variables.
 */
export function startLambda(serviceName: string, guardrails: readonly AnyGuardrail[]): LambdaStart {
  const logger = createLogger(serviceName);
  const region = process.env.AWS_REGION;
  if (!region) throw new ConfigError('AWS_REGION', 'is not set');
  const policyFile = process.env.LOGWARDEN_POLICY_FILE ?? join(process.env.LAMBDA_TASK_ROOT ?? process.cwd(), 'policy.json');
  const policy = loadPolicyFile(policyFile, guardrails, { onlyThese: false });
  return { region, policy, clients: new AwsClients(), logger };
}

/**
 * The account the function governs: `LOGWARDEN_ACCOUNT_ID`, else the account of its own ARN.
 * Also gives the logger the invocation's context, so every log line carries the request id.
 */
export function invocationAccount(start: LambdaStart, context: Partial<Context> | undefined): string {
  if (context?.awsRequestId) start.logger.addContext(context as Context);
  const account = process.env.LOGWARDEN_ACCOUNT_ID ?? context?.invokedFunctionArn?.split(':')[4];
  if (!account || !/^\d{12}$/.test(account)) {
    throw new ConfigError('LOGWARDEN_ACCOUNT_ID', 'is not set and the function ARN has no account');
  }
  return account;
}

/**
 * Find the guardrail definition among a module's exports (the Lambda entries `infra/bundle.ts`
 * generates import a guardrail's `index.ts` and do not know the export's name).
 */
export function findGuardrail(mod: Record<string, unknown>, name: string): AnyGuardrail {
  const found = Object.values(mod).find(
    (v): v is AnyGuardrail =>
      !!v && typeof v === 'object' && (v as AnyGuardrail).name === name && typeof (v as AnyGuardrail).diff === 'function',
  );
  if (!found) throw new ConfigError('guardrail', `controllers/${name}/index.ts exports no guardrail named ${name}`);
  return found;
}
