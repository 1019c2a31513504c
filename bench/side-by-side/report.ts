/**
 * Figures of the side-by-side bench: per job and tool, the median and range of the wall times, the
 * calls counted at the emulator, whether every run fixed exactly what it should; then the table.
 */
import type { Job, Tool, Verdict } from './job.js';

export interface RunRecord {
  job: string;
  tool: Tool;
  round: number;
  /** 1: this tool ran first in its round, 2: second. */
  position: number;
  seconds: number;
  exitCode: number | null;
  calls: number;
  callsByOperation: Record<string, number>;
  verdict: Verdict;
  stderrTail?: string;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
}

interface ToolSummary {
  runs: number;
  seconds: Spread;
  calls: Spread;
  /** Every run fixed exactly the non-compliant resources. */
  exact: boolean;
  /** The distinct verdict details of the runs. */
  details: string[];
  exitCodes: (number | null)[];
  /** Of the first run (the same in every run unless `calls` has a range). */
  callsByOperation: Record<string, number>;
}

export interface JobSummary {
  id: string;
  title: string;
  rounds: number;
  custodianDetectOnly: boolean;
  logwarden: ToolSummary;
  custodian: ToolSummary;
  /** logwarden's median time over Custodian's. */
  timeRatio: number;
  /** logwarden's median calls over Custodian's. */
  callsRatio: number;
}

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;

export function spread(values: readonly number[], digits: number): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { median: round(median, digits), min: round(sorted[0] as number, digits), max: round(sorted.at(-1) as number, digits) };
}

function summarizeTool(runs: readonly RunRecord[]): ToolSummary {
  return {
    runs: runs.length,
    seconds: spread(
      runs.map((r) => r.seconds),
      2,
    ),
    calls: spread(
      runs.map((r) => r.calls),
      1,
    ),
    exact: runs.every((r) => r.verdict.exact && r.exitCode === 0),
    details: [...new Set(runs.map((r) => r.verdict.detail))],
    exitCodes: runs.map((r) => r.exitCode),
    callsByOperation: runs[0]?.callsByOperation ?? {},
  };
}

export function summarizeJob(job: Job, rounds: number, runs: readonly RunRecord[]): JobSummary {
  const logwarden = summarizeTool(runs.filter((r) => r.tool === 'logwarden'));
  const custodian = summarizeTool(runs.filter((r) => r.tool === 'custodian'));
  return {
    id: job.id,
    title: job.title,
    rounds,
    custodianDetectOnly: job.custodianDetectOnly === true,
    logwarden,
    custodian,
    timeRatio: round(logwarden.seconds.median / custodian.seconds.median, 2),
    callsRatio: round(logwarden.calls.median / custodian.calls.median, 2),
  };
}
