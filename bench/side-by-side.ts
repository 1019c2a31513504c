/**
 * logwarden next to Cloud Custodian on the same seeded emulator (issue #16, item 3).
 *
 *   npx tsx bench/side-by-side.ts [--rounds N] [--rounds-large M] [--jobs a,b,...]
 *
 * Installs Cloud Custodian (c7n, pinned) into .venv-bench/ when it is not there, starts moto behind
 * a counting proxy, and for every job and round: resets the emulator, seeds it, runs one tool as a
 * whole process against the proxy, reads the state back; then the same for the other tool. Rounds
 * alternate which tool goes first. Writes bench/results/side-by-side.md and side-by-side.json.
 *
 * --rounds N (default 3) applies to every job but the 1,000-bucket ones, which run --rounds-large M
 * (default 1): one Custodian run over 1,000 buckets takes about 80 s on the emulator (ten reads per
 * bucket), and three rounds of both would take the bench well past its 8-minute budget.
 * Progress on stderr; exit code 1 when a run did not fix exactly what it should (Custodian's
 * detect-only GuardDuty row excepted), 2 on error.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from '../cli/emulator.js';
import { AwsClients } from '../controllers/core/aws.js';
import { bucketJob } from './side-by-side/buckets.js';
import { CREDENTIALS, ROOT } from './side-by-side/constants.js';
import { distributionVersion, ensureCustodian } from './side-by-side/custodian.js';
import { flowLogsJob } from './side-by-side/flow-logs.js';
import { guardDutyJob } from './side-by-side/guardduty.js';
import type { Job, Tool } from './side-by-side/job.js';
import { markdown, type SideBySideResult } from './side-by-side/markdown.js';
import { type CountingProxy, startCountingProxy } from './side-by-side/proxy.js';
import { type JobSummary, type RunRecord, spread, summarizeJob } from './side-by-side/report.js';
import { custodianOutDir, runTool, runVersion } from './side-by-side/tools.js';
import { trailJob } from './side-by-side/trail.js';

const JOBS: readonly Job[] = [
  bucketJob('a', 200, 10),
  bucketJob('b', 200, 0),
  bucketJob('c', 1000, 10),
  bucketJob('d', 1000, 0),
  flowLogsJob,
  trailJob,
  guardDutyJob,
];

const say = (line: string) => process.stderr.write(`${line}\n`);

interface Options {
  rounds: number;
  roundsLarge: number;
  jobs: readonly Job[];
}

function optionValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}

function positiveInt(name: string, fallback: number): number {
  const raw = optionValue(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return n;
}

function parseOptions(): Options {
  const ids = optionValue('--jobs')?.split(',') ?? JOBS.map((j) => j.id);
  const unknown = ids.filter((id) => !JOBS.some((j) => j.id === id));
  if (unknown.length > 0) throw new Error(`unknown job(s) ${unknown.join(', ')}; jobs are ${JOBS.map((j) => j.id).join(', ')}`);
  return {
    rounds: positiveInt('--rounds', 3),
    roundsLarge: positiveInt('--rounds-large', 1),
    jobs: JOBS.filter((j) => ids.includes(j.id)),
  };
}

interface Bench {
  reset(): Promise<void>;
  /** Seeding and read-back clients: straight to moto, so their calls are not counted. */
  direct: AwsClients;
  proxy: CountingProxy;
  workDir: string;
}

/** One run: fresh emulator state, the job's seeding, one tool through the proxy, the state read back. */
async function runOnce(bench: Bench, job: Job, tool: Tool, round: number, position: number): Promise<RunRecord> {
  await bench.reset();
  const check = await job.seed(bench.direct);
  bench.proxy.take(); // nothing but the tool's own calls is counted
  const dir = join(bench.workDir, `${job.id}-${round}-${tool}`);
  const run = await runTool(tool, job, bench.proxy.endpoint, dir);
  const callsByOperation = bench.proxy.take();
  const verdict = await check({ tool, custodianOutDir: custodianOutDir(dir) });
  const calls = Object.values(callsByOperation).reduce((a, b) => a + b, 0);
  say(`  ${job.id} round ${round} ${tool}: ${run.seconds.toFixed(2)} s, ${calls} calls, exit ${run.exitCode}: ${verdict.detail}`);
  if (run.stderrTail) say(`    stderr: ${run.stderrTail.split('\n').slice(-3).join(' | ')}`);
  return { job: job.id, tool, round, position, ...run, calls, callsByOperation, verdict };
}

/** Every round of one job, alternating which tool goes first. */
async function runJob(bench: Bench, job: Job, rounds: number): Promise<JobSummary> {
  say(`== ${job.id}. ${job.title} (${rounds} round${rounds === 1 ? '' : 's'})`);
  const runs: RunRecord[] = [];
  for (let round = 1; round <= rounds; round++) {
    const order: Tool[] = round % 2 === 1 ? ['logwarden', 'custodian'] : ['custodian', 'logwarden'];
    for (const [i, tool] of order.entries()) runs.push(await runOnce(bench, job, tool, round, i + 1));
  }
  return summarizeJob(job, rounds, runs);
}

/** Each tool's process floor (printing its version), interleaved like the jobs. */
async function measureStartup(bench: Bench, rounds: number): Promise<SideBySideResult['startup']> {
  say('== process floor (version)');
  // One untimed run each first: tsx's transform cache and Python's bytecode are written on first use.
  for (const tool of ['logwarden', 'custodian'] as const)
    await runVersion(tool, bench.proxy.endpoint, join(bench.workDir, `warm-${tool}`));
  const times: Record<Tool, number[]> = { logwarden: [], custodian: [] };
  for (let round = 1; round <= rounds; round++) {
    const order: Tool[] = round % 2 === 1 ? ['logwarden', 'custodian'] : ['custodian', 'logwarden'];
    for (const tool of order) {
      const run = await runVersion(tool, bench.proxy.endpoint, join(bench.workDir, `version-${round}-${tool}`));
      if (run.exitCode !== 0) throw new Error(`${tool} version exited ${run.exitCode}: ${run.stderrTail}`);
      times[tool].push(run.seconds);
    }
  }
  return {
    logwarden: { ...spread(times.logwarden, 2), runs: rounds },
    custodian: { ...spread(times.custodian, 2), runs: rounds },
  };
}

async function runJobs(options: Options): Promise<Pick<SideBySideResult, 'startup' | 'jobs'>> {
  const emulator = await startEmulator();
  const proxy = await startCountingProxy(emulator.endpoint);
  const workDir = mkdtempSync(join(tmpdir(), 'logwarden-side-by-side-'));
  const direct = new AwsClients({ endpoint: emulator.endpoint, credentials: CREDENTIALS, maxAttempts: 1 });
  const bench: Bench = { reset: () => emulator.reset(), direct, proxy, workDir };
  try {
    const startup = await measureStartup(bench, options.rounds);
    const jobs: JobSummary[] = [];
    for (const job of options.jobs) jobs.push(await runJob(bench, job, job.large ? options.roundsLarge : options.rounds));
    return { startup, jobs };
  } finally {
    await proxy.stop();
    await emulator.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

function writeResults(result: SideBySideResult): void {
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'side-by-side.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(dir, 'side-by-side.md'), markdown(result));
}

async function main(): Promise<void> {
  const options = parseOptions();
  const started = Date.now();
  // Other work on the machine slows both tools alike (rounds interleave), but it shows in the absolute times.
  const loadBefore = loadavg()[0] as number;
  const versions = {
    ...ensureCustodian(say),
    moto: distributionVersion(join(ROOT, '.venv', 'bin', 'python'), 'moto'),
    node: process.version,
  };
  const { startup, jobs } = await runJobs(options);
  const result: SideBySideResult = {
    generatedAt: new Date().toISOString(),
    command: ['npx tsx bench/side-by-side.ts', ...process.argv.slice(2)].join(' '),
    machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`,
    loadAverage: { before: loadBefore, after: loadavg()[0] as number },
    versions,
    totalSeconds: Math.round((Date.now() - started) / 100) / 10,
    startup,
    jobs,
  };
  writeResults(result);
  say(`wrote bench/results/side-by-side.md and side-by-side.json in ${result.totalSeconds} s`);
  const wrong = jobs.filter((j) => !j.logwarden.exact || (!j.custodian.exact && !j.custodianDetectOnly));
  if (wrong.length > 0) {
    say(`not fixed exactly: ${wrong.map((j) => j.id).join(', ')}`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`side-by-side bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 2;
});
