import { CreateEventBusCommand, EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { AwsClients } from '../controllers/core/aws.js';
import { AUDIT_SOURCE, type AuditRecord, auditRecordSchema } from '../controllers/core/record.js';

/**
 * An audit bus on the emulator, read back through an SQS queue (the emulator's EventBridge
 * delivers to SQS and CloudWatch Logs targets only, not to Kinesis). Used by the demo and tests.
 */
export async function createAuditBus(clients: AwsClients, region: string, bus: string): Promise<AuditReader> {
  const events = clients.get(EventBridgeClient, region);
  const sqs = clients.get(SQSClient, region);
  await events.send(new CreateEventBusCommand({ Name: bus }));
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `${bus}-reader` }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  await events.send(
    new PutRuleCommand({ Name: 'audit-to-reader', EventBusName: bus, EventPattern: JSON.stringify({ source: [AUDIT_SOURCE] }) }),
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
        const event = JSON.parse(m.Body ?? '{}') as { source: string; detail: unknown };
        if (event.source !== AUDIT_SOURCE) throw new Error(`unexpected source ${event.source} on the audit bus`);
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
