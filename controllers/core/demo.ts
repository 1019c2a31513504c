/**
 * Types of a guardrail's demo (`controllers/<name>/demo.ts`, which exports `demo`). Types only: the
 * demo is not part of the Lambda bundle; `npm run demo`, the reliability suites and the bench load
 * it through the registry (cli/demo/load.ts).
 */
import type { AwsClients } from './aws.js';
import type { Outcome } from './record.js';
import type { AnyGuardrail } from './types.js';

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
  /**
   * The fewest API calls the scenario needs, with a one-line justification; `npm run bench` puts the
   * calls logwarden makes next to it. "Needs" means: learn that the resource drifted (a read, since
   * the event is never trusted for state), make the writes that fix it, and prove the fix (a read).
   * Calls made for safety (exemption tags, ownership, the full state for a level-based diff) are not
   * in the minimum: the difference is the price of those guarantees, and the bench shows it.
   */
  minimum: { calls: number; why: string };
}

/** What the demo needs from a guardrail: its policy section, the baseline the infrastructure would own, scenarios. */
export interface DemoGuardrail {
  /** The registered guardrail itself (the same object as in `controllers/registry.ts`). */
  guardrail: AnyGuardrail;
  policySection(ctx: Pick<DemoContext, 'account' | 'region'>): unknown;
  /** Create what the infrastructure owns (destination buckets, log groups) and the resources to govern. */
  prepare(ctx: DemoContext): Promise<void>;
  /** At least one of them remediates (the fault and bench suites play it). */
  scenarios: DemoScenario[];
  /**
   * Resources the guardrail creates that must exist at most once (a trail per name, a detector per
   * region): one line for each that exists more than once, empty when none does. The reliability
   * suites call it after concurrent and faulty deliveries.
   */
  duplicates(ctx: DemoContext): Promise<string[]>;
  /**
   * The sweep benchmark (`npm run bench`, bench/sweep.ts): after `prepare`, create `n` governed
   * resources, about a tenth of them non-compliant, on the emulator. The bench then runs a remediating
   * and a steady-state sweep and reports calls per resource. `resources` names them in the table
   * ("load balancers"). Omit when the guardrail governs one resource per region.
   */
  sweepBench?: { resources: string; seed(ctx: DemoContext, n: number): Promise<void> };
}
