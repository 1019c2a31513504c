import type { Context } from 'aws-lambda';
import { invocationAccount, startLambda } from './bootstrap.js';
import { DynamoFlapStore } from './flapping.js';
import { DynamoLeaseStore } from './lease.js';
import { createRuntime, outcomeCounts, publishAndSettle, type Runtime } from './runtime.js';
import { summariseSweeps } from './sweep-summary.js';
import type { AnyGuardrail } from './types.js';

/**
 * A thin Lambda handler for one guardrail: start-up as every logwarden function does, then handle
 * the event with the controller and publish its records.
 *
 * @example
 * export const handler = createLambdaHandler(cloudtrail);
 */
export function createLambdaHandler(guardrail: AnyGuardrail) {
  const start = startLambda(`logwarden-${guardrail.name}`, [guardrail]);
  let runtime: Runtime | undefined;

  return async (event: unknown, context?: Partial<Context>) => {
    const account = invocationAccount(start, context);
    runtime ??= runtimeFor(guardrail, start, account);
    const records = await runtime.controller.handleEvents([event]);
    // Every record in full in the function's own log; the central bus gets sweep summaries (#13).
    for (const record of records) start.logger.info('audit record', { record });
    const published = start.policy.audit.sweepRecords === 'summary' ? summariseSweeps(records, new Date()) : records;
    await publishAndSettle(runtime.sink, published);
    return { records: records.length, outcomes: outcomeCounts(records) };
  };
}

function runtimeFor(guardrail: AnyGuardrail, start: ReturnType<typeof startLambda>, account: string): Runtime {
  const table = process.env.LOGWARDEN_STATE_TABLE;
  const { clients, region } = start;
  return createRuntime({
    guardrails: [guardrail],
    policy: start.policy,
    account,
    logger: start.logger,
    region,
    clients,
    flapStore: table ? new DynamoFlapStore(clients, region, table) : undefined,
    leaseStore: table ? new DynamoLeaseStore(clients, region, table) : undefined,
  });
}
