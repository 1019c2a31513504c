import type { AwsClients } from '../../controllers/core/aws.js';

export type Tool = 'logwarden' | 'custodian';

/** Did the run fix exactly the non-compliant resources, and nothing else? Read back from the emulator. */
export interface Verdict {
  exact: boolean;
  detail: string;
}

/** What a check may need to know about the run it judges. */
export interface RunInfo {
  tool: Tool;
  /** Custodian's output directory (`-s`): its resources.json per policy says what it matched. */
  custodianOutDir: string;
}

/** Reads the emulator's state after a run and judges it against what was seeded. */
export type Check = (run: RunInfo) => Promise<Verdict>;

/** One line of the side-by-side table: the same seeded state, one policy per tool. */
export interface Job {
  /** a, b, c... (`--jobs a,c`) */
  id: string;
  title: string;
  /** Too slow on the emulator for the usual rounds (`--rounds-large`). */
  large?: boolean;
  /** logwarden's guardrail and its policy section; the rest of the policy document is common. */
  logwarden: { guardrail: string; section: Record<string, unknown> };
  /** One Cloud Custodian policy (a `policies:` entry), with its documented filters and actions. */
  custodian: Record<string, unknown>;
  /** Custodian has no action for this job: its policy only reports. */
  custodianDetectOnly?: boolean;
  /** Seed the emulator through `clients` (not the counting proxy); returns the check of this seeding. */
  seed(clients: AwsClients): Promise<Check>;
}

/** `yes` when nothing is wrong, else `no: ...` naming what is. */
export function verdictOf(problems: readonly string[], good: string): Verdict {
  return problems.length === 0 ? { exact: true, detail: good } : { exact: false, detail: problems.join('; ') };
}
