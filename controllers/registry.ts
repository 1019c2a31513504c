import { bucketLogging } from './bucket-logging/index.js';
import { cloudtrail } from './cloudtrail/index.js';
import type { AnyGuardrail } from './core/types.js';
import { flowLogs } from './flow-logs/index.js';
import { guardduty } from './guardduty/index.js';

/** Every guardrail, in one explicit typed list. A new guardrail is added here and nowhere else. */
export const guardrails: readonly AnyGuardrail[] = [cloudtrail, flowLogs, bucketLogging, guardduty];

export function guardrailByName(name: string): AnyGuardrail | undefined {
  return guardrails.find((g) => g.name === name);
}
