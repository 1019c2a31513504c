import { CreateEventBusCommand, EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { type Emulator, startEmulator } from '../../cli/emulator.js';
import { AwsClients } from '../../controllers/core/aws.js';
import { createLogger } from '../../controllers/core/log.js';
import { type AuditRecord, auditRecordSchema } from '../../controllers/core/record.js';

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

/**
 * The audit bus as the central stack wires it, read back through an SQS queue (the emulator's
 * EventBridge delivers to SQS and CloudWatch Logs targets only, not to Kinesis).
 */
export async function createAuditBus(clients: AwsClients, region = REGION, bus = AUDIT_BUS): Promise<AuditReader> {
  const events = clients.get(EventBridgeClient, region);
  const sqs = clients.get(SQSClient, region);
  await events.send(new CreateEventBusCommand({ Name: bus }));
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `${bus}-reader` }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  await events.send(
    new PutRuleCommand({ Name: 'audit-to-reader', EventBusName: bus, EventPattern: JSON.stringify({ source: ['logwarden'] }) }),
  );
  await events.send(
    new PutTargetsCommand({ Rule: 'audit-to-reader', EventBusName: bus, Targets: [{ Id: 'reader', Arn: Attributes?.QueueArn }] }),
  );
  return new AuditReader(sqs, QueueUrl as string);
}

export class AuditReader {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  /** Drain the queue: every audit record delivered so far, validated against the schema. */
  async drain(): Promise<AuditRecord[]> {
    const out: AuditRecord[] = [];
    for (;;) {
      const res = await this.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: this.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      const messages = res.Messages ?? [];
      if (messages.length === 0) return out;
      for (const m of messages) {
        const event = JSON.parse(m.Body ?? '{}') as { source: string; 'detail-type': string; detail: unknown };
        if (event.source !== 'logwarden') throw new Error(`unexpected source ${event.source}`);
        out.push(auditRecordSchema.parse(event.detail));
      }
      await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
    }
  }
}
