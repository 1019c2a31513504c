import type { AwsClients } from '../../controllers/core/aws.js';
import type { Outcome } from '../../controllers/core/record.js';
import type { AnyGuardrail } from '../../controllers/core/types.js';

export interface DemoContext {
  account: string;
  region: string;
  /** Plain clients on the emulator (no call recording). */
  clients: AwsClients;
}

/** One tampering technique, done for real on the emulator. */
export interface DemoScenario {
  title: string;
  /** Make the real tampering call(s); return the CloudTrail-shaped EventBridge event(s) that AWS would deliver. */
  tamper(ctx: DemoContext): Promise<unknown[]>;
  /** Read the state back: null when it is as the policy wants, else what is still wrong. */
  check(ctx: DemoContext): Promise<string | null>;
  /** The outcomes every record of this scenario must have. Default: `remediated`. */
  expect?: readonly Outcome[];
}

/** What the demo needs from a guardrail: its policy section, the baseline the infrastructure would own, scenarios. */
export interface DemoGuardrail {
  guardrail: AnyGuardrail;
  policySection(ctx: Pick<DemoContext, 'account' | 'region'>): unknown;
  /** Create what the infrastructure owns (destination buckets, log groups) and the resources to govern. */
  prepare(ctx: DemoContext): Promise<void>;
  scenarios: DemoScenario[];
}
