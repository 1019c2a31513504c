import { existsSync } from 'node:fs';
import { AwsClients } from '../controllers/core/aws.js';
import { ConfigError } from '../controllers/core/errors.js';
import { createLogger } from '../controllers/core/log.js';
import { loadPolicyFile, type Policy } from '../controllers/core/policy.js';
import { createRuntime, type Runtime } from '../controllers/core/runtime.js';
import { guardrails } from '../controllers/registry.js';
import { resolveAccount } from './account.js';

const DEFAULT_POLICY_FILE = 'logwarden.policy.json';

/** The policy file: --config, else LOGWARDEN_POLICY_FILE, else ./logwarden.policy.json. */
function policyFileFrom(option: string | undefined): string {
  const file = option ?? process.env.LOGWARDEN_POLICY_FILE ?? DEFAULT_POLICY_FILE;
  if (!existsSync(file)) {
    throw new ConfigError('--config', `policy file ${file} not found (pass --config FILE or set LOGWARDEN_POLICY_FILE)`);
  }
  return file;
}

export interface CliRuntime extends Runtime {
  policy: Policy;
  account: string;
  region: string;
}

/** The same runtime the Lambda handlers use, configured from the SDK's standard configuration. */
export async function cliRuntime(options: {
  config?: string;
  dryRun?: boolean;
  policy?: Policy;
  clients?: AwsClients;
  /** The account, when it was asked for in advance (`accountInAdvance`) with these clients. */
  account?: Promise<string>;
}): Promise<CliRuntime> {
  const policy = options.policy ?? loadPolicyFile(policyFileFrom(options.config), guardrails);
  const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? policy.controller.regions[0];
  if (!region) throw new ConfigError('AWS_REGION', 'not set and the policy names no region');
  const clients = options.clients ?? new AwsClients();
  const account = await (options.account ?? resolveAccount(clients, region));
  const runtime = createRuntime({
    guardrails,
    policy,
    account,
    region,
    logger: createLogger('logwarden-cli'),
    clients,
    dryRun: options.dryRun,
  });
  return { ...runtime, policy, account, region };
}
