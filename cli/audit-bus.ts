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
 * An EventBridge rule with an SQS queue as its only target, so that what the rule delivers can be
 * read back (the emulator's EventBridge delivers to SQS and CloudWatch Logs targets only, and its
 * TestEventPattern is a stub). Used by the demo and the tests.
 */
export async function queueBehindRule(
  clients: AwsClients,
  region: string,
  rule: { name: string; pattern: unknown; eventBusName?: string },
): Promise<RuleQueue> {
  const events = clients.get(EventBridgeClient, region);
  const sqs = clients.get(SQSClient, region);
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `q-${rule.name}` }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  await events.send(
    new PutRuleCommand({ Name: rule.name, EventBusName: rule.eventBusName, EventPattern: JSON.stringify(rule.pattern) }),
  );
  await events.send(
    new PutTargetsCommand({
      Rule: rule.name,
      EventBusName: rule.eventBusName,
      Targets: [{ Id: 'queue', Arn: Attributes?.QueueArn }],
    }),
  );
  return new RuleQueue(sqs, QueueUrl as string);
}

export class RuleQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  /** Every event delivered so far (parsed EventBridge envelopes), removed from the queue. */
  async drain(): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = [];
    for (;;) {
      const res = await this.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: this.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      const messages = res.Messages ?? [];
      if (messages.length === 0) return out;
      for (const message of messages) out.push(JSON.parse(message.Body ?? '{}') as Record<string, unknown>);
      await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })),
        }),
      );
    }
  }
}

/** An audit bus on the emulator, read back through an SQS queue behind a `source: logwarden` rule. */
export async function createAuditBus(clients: AwsClients, region: string, bus: string): Promise<AuditReader> {
  await clients.get(EventBridgeClient, region).send(new CreateEventBusCommand({ Name: bus }));
  return new AuditReader(
    await queueBehindRule(clients, region, { name: `${bus}-reader`, pattern: { source: [AUDIT_SOURCE] }, eventBusName: bus }),
  );
}

export class AuditReader {
  constructor(private readonly queue: RuleQueue) {}

  /** Every audit record delivered so far, validated against the schema. */
  async drain(): Promise<AuditRecord[]> {
    return (await this.queue.drain()).map((event) => {
      if (event.source !== AUDIT_SOURCE) throw new Error(`unexpected source ${String(event.source)} on the audit bus`);
      return auditRecordSchema.parse(event.detail);
    });
  }
}
