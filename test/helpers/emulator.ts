import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { type AuditReader, createAuditBus as createBus } from '../../cli/audit-bus.js';
import { type Emulator, startEmulator } from '../../cli/emulator.js';
import { AwsClients } from '../../controllers/core/aws.js';
import { createLogger } from '../../controllers/core/log.js';

export type { AuditReader };

/** moto's default account. */
export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const AUDIT_BUS = 'logwarden-audit';
export const OWN_ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/logwarden/logwarden-controller`;
export const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

export const quietLogger = () => {
  process.env.LOGWARDEN_LOG_LEVEL ??= 'CRITICAL';
  return createLogger('logwarden-test');
};

/**
 * Start one emulator for the test file, reset it before each test. Returns a handle whose
 * `endpoint` is valid inside tests.
 */
export function useEmulator(): { readonly endpoint: string; clients(recorder?: (a: { action: string }) => void): AwsClients } {
  let emulator: Emulator | undefined;
  beforeAll(async () => {
    emulator = await startEmulator();
  }, 60_000);
  afterAll(async () => {
    await emulator?.stop();
  });
  beforeEach(async () => {
    await emulator?.reset();
  });
  return {
    get endpoint() {
      if (!emulator) throw new Error('emulator not started');
      return emulator.endpoint;
    },
    clients(recorder) {
      if (!emulator) throw new Error('emulator not started');
      return new AwsClients({ endpoint: emulator.endpoint, credentials: CREDENTIALS, maxAttempts: 1, recorder });
    },
  };
}

/** The audit bus on the emulator, read back through SQS. */
export function createAuditBus(clients: AwsClients, region = REGION, bus = AUDIT_BUS): Promise<AuditReader> {
  return createBus(clients, region, bus);
}

/** The controllers' state table as the member stack creates it (flapping history, leases). */
export const STATE_TABLE = 'logwarden-state';

export async function createStateTable(clients: AwsClients, region = REGION, table = STATE_TABLE): Promise<void> {
  await clients.get(DynamoDBClient, region).send(
    new CreateTableCommand({
      TableName: table,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
}
