/** bench/results/side-by-side.md: the table, the calls by operation, the notes. */
import type { Tool } from './job.js';
import type { JobSummary, Spread } from './report.js';

export interface SideBySideResult {
  generatedAt: string;
  command: string;
  machine: string;
  /** 1-minute load average when the bench started and ended. */
  loadAverage: { before: number; after: number };
  versions: Record<string, string | null>;
  totalSeconds: number;
  /** Each tool printing its version, in seconds: the process floor of every run. */
  startup: Record<Tool, Spread & { runs: number }>;
  jobs: JobSummary[];
}

type ToolSummary = JobSummary['logwarden'];

const seconds = (t: ToolSummary) =>
  t.runs === 1 ? `${t.seconds.median} (1 run)` : `${t.seconds.median} (${t.seconds.min}–${t.seconds.max})`;
const calls = (t: ToolSummary) =>
  t.calls.min === t.calls.max ? String(t.calls.median) : `${t.calls.median} (${t.calls.min}–${t.calls.max})`;

function fixedCell(t: ToolSummary, detectOnly: boolean): string {
  const exits = [...new Set(t.exitCodes.filter((c) => c !== 0))];
  const exit = exits.length > 0 ? ` (exit ${exits.join(', ')})` : '';
  const verdict = detectOnly ? 'detect only' : t.exact ? 'yes' : 'no';
  return `${verdict}${exit}: ${t.details.join(' / ')}`;
}

function tableRow(j: JobSummary): string {
  return `| ${j.id}. ${j.title} | ${seconds(j.logwarden)} | ${calls(j.logwarden)} | ${fixedCell(j.logwarden, false)} | ${seconds(
    j.custodian,
  )} | ${calls(j.custodian)} | ${fixedCell(j.custodian, j.custodianDetectOnly)} | ${j.timeRatio}× | ${j.callsRatio}× |`;
}

function operations(byOperation: Record<string, number>): string {
  return Object.entries(byOperation)
    .map(([op, n]) => `${op} ${n}`)
    .join(', ');
}

/** Which of the targets (time ≤ 0.5× and calls ≤ 1× Custodian's) each job meets. */
function targets(jobs: readonly JobSummary[]): string[] {
  return jobs.map((j) => {
    const time = j.timeRatio <= 0.5 ? 'met' : 'missed';
    const call = j.callsRatio <= 1 ? 'met' : 'missed';
    return `- ${j.id}: time ≤ 0.5× ${time} (${j.timeRatio}×); calls ≤ 1× ${call} (${j.callsRatio}×)`;
  });
}

const NOTES = [
  '- **Both tools run as whole processes** (logwarden: `node bin/logwarden.mjs remediate --config <file> -g <guardrail> -r us-east-1 --no-publish`, TypeScript compiled on the fly by tsx; Custodian: `custodian run --cache-period 0 -s <dir> --region us-east-1 <policy>`). Wall time is spawn to exit, interpreter start-up and policy validation included. Each run starts from `POST /moto-api/reset` and the same seeding; rounds alternate which tool goes first.',
  '- **API calls are counted at the emulator**: both tools reach moto only through a counting proxy (bench/side-by-side/proxy.ts) via `AWS_ENDPOINT_URL`, which the JavaScript SDK and boto3 both honour. Seeding and the read-back checks go to moto directly and are not counted. logwarden runs with `--no-publish` (no PutEvents); both tools call STS GetCallerIdentity to learn the account.',
  '- **"Fixed exactly?"** is read back from the emulator after every run: the non-compliant resources are fixed, the compliant ones and the log bucket are as seeded, no resource appeared or vanished.',
  "- **Custodian's S3 policy excludes the log bucket** (`value` filter `Name ne <log bucket>`). Without it the log bucket, which has no access logging on purpose, matches `bucket-logging: disabled` and `toggle-logging` points it at itself (observed on the emulator with c7n 0.9.53: the log bucket ended up logging to `<log bucket>/<log bucket>/`). logwarden recognises the log bucket from its policy and never gives it logging.",
  "- **Custodian describes every bucket before filtering**: its S3 resource reads ten bucket attributes per bucket (location, tagging, policy, ACL, replication, versioning, website, logging, notification, lifecycle), whatever the policy's filters, hence ~10 calls per bucket even in the steady state.",
  '- **GuardDuty: Custodian can only detect.** No Custodian action creates a detector; its `account` resource with a negated `guard-duty` filter reports the account (its resources.json), and the check confirms no detector was created. The time and call ratios of that row compare a fix with a report.',
  "- **moto ListBuckets pagination**: moto cuts ListBuckets at `MaxBuckets` and returns no continuation token, so logwarden's policy sets `sweep.pageSize: 10000` (one page lists every bucket; on AWS the default page size of 1,000 makes ceil(n/1000) calls). Custodian calls ListBuckets without `MaxBuckets` (one call). moto does not paginate DescribeVpcs or DescribeFlowLogs either.",
  "- **Flow logs go to an S3 bucket without a key prefix**: moto rejects an S3 destination with a prefix. Custodian's `set-flow-log` creates the flow logs of all matched VPCs in one CreateFlowLogs call. The 100 VPCs are the region's default VPC (seeded with a flow log) and 99 created ones.",
  "- **CloudTrail**: the trail is seeded exactly as logwarden's policy wants it (settings and event selectors), then StartLogging/StopLogging, so only the logging status is to fix. Custodian's `set-logging` only starts logging; logwarden's guardrail also governs the trail's settings, which it reads.",
  '- Emulator figures are not AWS latencies: moto answers in-process, single-threaded Python. They compare the two tools on the same work.',
];

export function markdown(r: SideBySideResult): string {
  const versions = Object.entries(r.versions)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return [
    '# logwarden next to Cloud Custodian (emulator)',
    '',
    `Generated ${r.generatedAt} by \`${r.command}\` (bench/side-by-side.ts) on ${r.machine} (1-minute load average ${r.loadAverage.before.toFixed(1)} at the start, ${r.loadAverage.after.toFixed(1)} at the end); total ${r.totalSeconds} s. Versions: ${versions}.`,
    '',
    '| job | logwarden median s (min–max) | calls | fixed exactly? | Custodian median s (min–max) | calls | fixed exactly? | time ratio | calls ratio |',
    '|---|---:|---:|---|---:|---:|---|---:|---:|',
    ...r.jobs.map(tableRow),
    '',
    `Process floor, each tool printing its version (no AWS call), median of ${r.startup.logwarden.runs} interleaved runs: logwarden ${r.startup.logwarden.median} s (${r.startup.logwarden.min}–${r.startup.logwarden.max}), Custodian ${r.startup.custodian.median} s (${r.startup.custodian.min}–${r.startup.custodian.max}). Every run above pays it.`,
    '',
    `Rounds per job: ${r.jobs.map((j) => `${j.id} ${j.rounds}`).join(', ')}. Ratios are logwarden over Custodian (medians). Calls: the median of the runs, with the range when runs differ.`,
    '',
    '## Targets (logwarden time ≤ 0.5× Custodian, calls ≤ Custodian)',
    '',
    ...targets(r.jobs),
    '',
    '## Calls by operation (first run of each tool)',
    '',
    '| job | logwarden | Custodian |',
    '|---|---|---|',
    ...r.jobs.map(
      (j) => `| ${j.id} | ${operations(j.logwarden.callsByOperation)} | ${operations(j.custodian.callsByOperation)} |`,
    ),
    '',
    '## Notes',
    '',
    ...NOTES,
    '',
  ].join('\n');
}
