import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { AwsClients } from '../controllers/core/aws.js';
import { ConfigError } from '../controllers/core/errors.js';

/** The governed account: LOGWARDEN_ACCOUNT_ID, else the caller's account from STS. */
export async function resolveAccount(clients: AwsClients, region: string): Promise<string> {
  const fromEnv = process.env.LOGWARDEN_ACCOUNT_ID;
  if (fromEnv) {
    if (!/^\d{12}$/.test(fromEnv)) throw new ConfigError('LOGWARDEN_ACCOUNT_ID', 'must be a 12-digit account id');
    return fromEnv;
  }
  const caller = await clients.get(STSClient, region).send(new GetCallerIdentityCommand({}));
  if (!caller.Account) throw new ConfigError('LOGWARDEN_ACCOUNT_ID', 'not set, and STS did not name the account');
  return caller.Account;
}

/**
 * Ask STS for the account while the controllers load: the question needs only the region, which the
 * SDK's configuration gives (without it, the policy's first region decides, so it waits for the
 * policy). Loading every guardrail's SDK clients takes longer than the call, so the two overlap.
 */
export function accountInAdvance(): { clients: AwsClients; account: Promise<string> } | undefined {
  const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region) return undefined;
  const clients = new AwsClients();
  const account = resolveAccount(clients, region);
  // Awaited later by cliRuntime; until then a failure must not count as an unhandled rejection.
  account.catch(() => undefined);
  return { clients, account };
}
