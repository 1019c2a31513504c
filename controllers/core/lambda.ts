import { join } from 'node:path';
import { AwsClients } from './aws.js';
import { ConfigError } from './errors.js';
import { DynamoFlapStore } from './flapping.js';
import { DynamoLeaseStore } from './lease.js';
import { createLogger } from './log.js';
import { loadPolicyFile } from './policy.js';
import { createRuntime, outcomeCounts, publishAndSettle, type Runtime } from './runtime.js';
import type { AnyGuardrail } from './types.js';

interface LambdaContext {
  invokedFunctionArn?: string;
}

/**
 * A thin Lambda handler for one guardrail. The policy is read and validated at cold start (an
 * invalid policy fails the init, naming the field); the policy file is bundled next to the code
 * (`policy.json`, or `LOGWARDEN_POLICY_FILE`), so its size is not limited by environment variables.
 */
export function createLambdaHandler(guardrail: AnyGuardrail) {
  const logger = createLogger(`logwarden-${guardrail.name}`);
  const region = process.env.AWS_REGION;
  if (!region) throw new ConfigError('AWS_REGION', 'is not set');
  const policyFile = process.env.LOGWARDEN_POLICY_FILE ?? join(process.env.LAMBDA_TASK_ROOT ?? process.cwd(), 'policy.json');
  const policy = loadPolicyFile(policyFile, [guardrail], { onlyThese: false });
  let runtime: Runtime | undefined;

  return async (event: unknown, context?: LambdaContext) => {
    if (!runtime) {
      const account = process.env.LOGWARDEN_ACCOUNT_ID ?? context?.invokedFunctionArn?.split(':')[4];
      if (!account || !/^\d{12}$/.test(account)) {
        throw new ConfigError('LOGWARDEN_ACCOUNT_ID', 'is not set and the function ARN has no account');
      }
      const table = process.env.LOGWARDEN_STATE_TABLE;
      const clients = new AwsClients();
      runtime = createRuntime({
        guardrails: [guardrail],
        policy,
        account,
        logger,
        region,
        clients,
        flapStore: table ? new DynamoFlapStore(clients, region, table) : undefined,
        leaseStore: table ? new DynamoLeaseStore(clients, region, table) : undefined,
      });
    }
    const records = await runtime.controller.handleEvents([event]);
    for (const record of records) logger.info('audit record', { record });
    await publishAndSettle(runtime.sink, records);
    return { records: records.length, outcomes: outcomeCounts(records) };
  };
}
