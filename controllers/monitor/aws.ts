import { CloudFormationClient, ListStackInstancesCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { type AttributeValue, DynamoDBClient, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { ListAccountsCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import type { AwsClients } from '../core/aws.js';
import { errorCode, LogwardenError } from '../core/errors.js';
import type { AccountSummary, Deployment, InstanceSummary, StoredBeat } from './decide.js';

/** Organizations is a global service with its endpoint in us-east-1. */
const ORGANIZATIONS_REGION = 'us-east-1';
/** The metric namespace, the only one the monitor's role may put data into. */
export const METRIC_NAMESPACE = 'logwarden';
export const MISSING_HEARTBEATS_METRIC = 'MissingHeartbeats';
/** A stored beat outlives its account by this long (the TTL), so accounts that left the organization age out. */
const BEAT_RETENTION_SECONDS = 30 * 86_400;
/** Pages of one listing, at most: a token that never ends must not keep the check running until its timeout. */
const MAX_PAGES = 1_000;

/** The StackSet's instances, every page. Throws the SDK error. */
export async function listStackInstances(
  clients: AwsClients,
  stackSet: { name: string; region: string; callAs: 'SELF' | 'DELEGATED_ADMIN' },
): Promise<InstanceSummary[]> {
  const cfn = clients.get(CloudFormationClient, stackSet.region);
  const out: InstanceSummary[] = [];
  let token: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const res = await cfn.send(
      new ListStackInstancesCommand({ StackSetName: stackSet.name, CallAs: stackSet.callAs, NextToken: token }),
    );
    for (const s of res.Summaries ?? []) {
      if (!s.Account || !s.Region) continue;
      out.push({ account: s.Account, region: s.Region, detailedStatus: s.StackInstanceStatus?.DetailedStatus ?? null });
    }
    token = res.NextToken;
    if (!token) return out;
  }
  throw new ListingError(`ListStackInstances returned more than ${MAX_PAGES} pages`);
}

/** Every account of the organization, every page. Throws the SDK error. */
export async function listAccounts(clients: AwsClients): Promise<AccountSummary[]> {
  const org = clients.get(OrganizationsClient, ORGANIZATIONS_REGION);
  const out: AccountSummary[] = [];
  let token: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const res = await org.send(new ListAccountsCommand({ NextToken: token }));
    for (const a of res.Accounts ?? []) {
      if (a.Id) out.push({ id: a.Id, state: a.State ?? a.Status ?? null });
    }
    token = res.NextToken;
    if (!token) return out;
  }
  throw new ListingError(`ListAccounts returned more than ${MAX_PAGES} pages`);
}

/** A listing that did not end within {@link MAX_PAGES} pages. */
class ListingError extends LogwardenError {
  constructor(message: string) {
    super('ListingIncomplete', message);
  }
}

/** The central table of last beats: one item per deployment, key `account` (the envelope's) + `region`. */
export class HeartbeatTable {
  constructor(
    private readonly clients: AwsClients,
    private readonly region: string,
    private readonly table: string,
  ) {}

  private get db(): DynamoDBClient {
    return this.clients.get(DynamoDBClient, this.region);
  }

  /**
   * Store that `d` beat at `seen` (the monitor's clock: an event's `time` is the sender's to choose).
   * Condition: the stored beat is older, so a delayed or redelivered invocation never moves it back;
   * when it fails a newer beat is already there, which is the same outcome.
   */
  async recordBeat(d: Deployment, seen: Date): Promise<void> {
    try {
      await this.db.send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            account: { S: d.account },
            region: { S: d.region },
            lastSeen: { N: String(seen.getTime()) },
            expiresAt: { N: String(Math.floor(seen.getTime() / 1000) + BEAT_RETENTION_SECONDS) },
          },
          ConditionExpression: 'attribute_not_exists(lastSeen) OR lastSeen < :seen',
          ExpressionAttributeValues: { ':seen': { N: String(seen.getTime()) } },
        }),
      );
    } catch (error) {
      if (errorCode(error) !== 'ConditionalCheckFailedException') throw error;
    }
  }

  /** Every stored beat, every page. Items that do not parse are skipped: they cannot vouch for anyone. */
  async readAll(): Promise<StoredBeat[]> {
    const out: StoredBeat[] = [];
    let start: Record<string, AttributeValue> | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const res = await this.db.send(new ScanCommand({ TableName: this.table, ExclusiveStartKey: start }));
      for (const item of res.Items ?? []) {
        const ms = Number(item.lastSeen?.N);
        if (item.account?.S && item.region?.S && Number.isFinite(ms)) {
          out.push({ account: item.account.S, region: item.region.S, lastSeen: new Date(ms) });
        }
      }
      start = res.LastEvaluatedKey;
      if (!start) return out;
    }
    throw new ListingError(`Scan of ${this.table} returned more than ${MAX_PAGES} pages`);
  }
}

/** Put the number of silent deployments, every check (0 included: no data means the monitor itself stopped). */
export async function putMissingHeartbeats(clients: AwsClients, region: string, count: number, at: Date): Promise<void> {
  await clients.get(CloudWatchClient, region).send(
    new PutMetricDataCommand({
      Namespace: METRIC_NAMESPACE,
      MetricData: [{ MetricName: MISSING_HEARTBEATS_METRIC, Value: count, Unit: 'Count', Timestamp: at }],
    }),
  );
}

/** The IAM actions the monitor's code calls, by purpose (infra/heartbeat-monitor.ts grants exactly these). */
export const MONITOR_IAM_ACTIONS = {
  table: ['dynamodb:PutItem', 'dynamodb:Scan'],
  stackset: ['cloudformation:ListStackInstances'],
  organizations: ['organizations:ListAccounts'],
  metric: ['cloudwatch:PutMetricData'],
  publish: ['events:PutEvents'],
} as const;
