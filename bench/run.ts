/**
 * `npm run bench` (scripts/bench.sh): every performance figure of logwarden, written to
 * bench/results/latest.json and bench/results/latest.md. Not part of the tests.
 *
 *   npx tsx bench/run.ts [--quick]     (--quick: skip the 9,999-bucket sweep and the side-by-side; fewer iterations)
 *
 * 1. Bundle size per guardrail (infra/bundle.ts: esbuild, ESM, node22, minified), bytes and gzip.
 * 2. Cold init per guardrail: a fresh `node` process imports the bundle with a valid policy file;
 *    median of 7 runs (module load and policy validation: what Lambda's INIT phase runs).
 * 3. Warm handling overhead per event: a Controller whose SDK clients replay answers recorded on the
 *    emulator (in process, no network): p50/p99 in microseconds, for a compliant and a remediated event.
 * 4. Per demo scenario on the emulator: API calls per remediation (recording middleware) next to the
 *    minimum the scenario declares (`minimum` in its demo), and the wall time event in → verified state and
 *    record out (handling, verification, PutEvents to the audit bus).
 * 5. Sweeps on the emulator: 100 / 1,000 / 9,999 buckets (bench/bucket-logging-sweep.ts), 1,000
 *    VPCs (bench/flow-logs-sweep.ts) and 1,000 resources of every guardrail whose demo declares a
 *    `sweepBench` (bench/sweep.ts), each in its own process.
 * 6. Side by side with Cloud Custodian (bench/side-by-side.ts, its own process, ~8 minutes): writes
 *    bench/results/side-by-side.{json,md}; latest.json keeps whether it ran. Skipped with --quick.
 * 7. Signing overhead (bench/signing.ts, its own process): publish time of a batch with and without
 *    the KMS signature on the emulator, and the signing step alone (one Sign call per publish).
 * 8. Audit volume (bench/volume.ts, its own process): the signed size of each guardrail's records and
 *    what a steady sweep publishes, and the monthly volume and cost for 1,000 accounts × 4 regions.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createAuditBus } from '../cli/audit-bus.js';
import { loadDemos } from '../cli/demo/load.js';
import { startEmulator } from '../cli/emulator.js';
import { registry } from '../controllers/companions.js';
import { AwsClients, type AwsOptions } from '../controllers/core/aws.js';
import { Controller } from '../controllers/core/controller.js';
import type { DemoContext, DemoGuardrail } from '../controllers/core/demo.js';
import { ownRoleArnTemplate } from '../controllers/core/identity.js';
import { createLogger } from '../controllers/core/log.js';
import { type Policy, parsePolicy } from '../controllers/core/policy.js';
import type { AuditRecord } from '../controllers/core/record.js';
import { createRuntime } from '../controllers/core/runtime.js';
import { budgetProblems, readBudgets } from './budgets.js';
import { bundleSizes, ROOT } from './bundle-size.js';
import { measureStartup } from './startup.js';
import { volumeLines } from './volume-model.js';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'bench', secretAccessKey: 'bench' };
const quick = process.argv.includes('--quick');
const say = (s: string) => process.stderr.write(`${s}\n`);
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}
const median = (xs: readonly number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );

function demoPolicy(demo: DemoGuardrail): Policy {
  return parsePolicy(
    {
      version: 1,
      controller: { regions: [REGION], ownRoleArns: [ownRoleArnTemplate(demo.guardrail.name)] },
      audit: { eventBus: 'logwarden-audit' },
      guardrails: { [demo.guardrail.name]: demo.policySection({ account: ACCOUNT, region: REGION }) },
    },
    [demo.guardrail],
  );
}

// ---------------------------------------------------------------------------------------------
// 2. Cold init

const INIT_SCRIPT = `
const t0 = performance.now();
const mod = await import(process.argv[1]);
const t1 = performance.now();
if (typeof mod.handler !== 'function') { process.stderr.write('no handler export'); process.exit(3); }
process.stdout.write(JSON.stringify({ importMs: t1 - t0 }));
`;

function coldInit(dir: string, runs: number): { importMsMedian: number; processMsMedian: number; runs: number } {
  const imports: number[] = [];
  const processes: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    const res = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', INIT_SCRIPT, pathToFileURL(join(dir, 'index.mjs')).href],
      {
        env: {
          PATH: process.env.PATH,
          AWS_REGION: REGION,
          LOGWARDEN_POLICY_FILE: join(dir, 'policy.json'),
          LOGWARDEN_LOG_LEVEL: 'CRITICAL',
          NODE_NO_WARNINGS: '1',
        },
        encoding: 'utf8',
      },
    );
    const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
    if (res.status !== 0) throw new Error(`cold init of ${dir} failed (${res.status}): ${res.stderr}`);
    imports.push((JSON.parse(res.stdout) as { importMs: number }).importMs);
    processes.push(elapsed);
  }
  return { importMsMedian: round(median(imports)), processMsMedian: round(median(processes)), runs };
}

// ---------------------------------------------------------------------------------------------
// 3. Warm overhead: record SDK answers on the emulator, replay them in process.

interface TapeEntry {
  ok: boolean;
  value: unknown;
}
type Tape = Map<string, TapeEntry[]>;
// biome-ignore lint/suspicious/noExplicitAny: SDK clients and commands of every service.
type AnyClient = { send(command: any): Promise<any>; middlewareStack: { add(...args: any[]): void } };
// biome-ignore lint/suspicious/noExplicitAny: SDK client constructors differ in their config types.
type Ctor = new (config: any) => AnyClient;

const exactKey = (ctor: string, cmd: { constructor: { name: string }; input: unknown }) =>
  `${ctor}|${cmd.constructor.name}|${JSON.stringify(cmd.input)}`;
const nameKey = (ctor: string, cmd: { constructor: { name: string } }) => `${ctor}|${cmd.constructor.name}`;

function push(tape: Tape, key: string, entry: TapeEntry) {
  tape.set(key, [...(tape.get(key) ?? []), entry]);
}

/** Real clients on the emulator that keep every answer (and error) on a tape. */
class RecordingClients extends AwsClients {
  readonly tape: Tape = new Map();
  private readonly patched = new WeakSet<object>();
  override get<T>(ctor: new (config: never) => T, region: string): T {
    const client = super.get(ctor as unknown as Ctor, region) as AnyClient;
    if (!this.patched.has(client)) {
      this.patched.add(client);
      const send = client.send.bind(client);
      client.send = async (cmd: { constructor: { name: string }; input: unknown }) => {
        try {
          const out = await send(cmd);
          const entry = { ok: true, value: structuredClone(out) };
          push(this.tape, exactKey(ctor.name, cmd), entry);
          push(this.tape, nameKey(ctor.name, cmd), entry);
          return out;
        } catch (error) {
          const e = error as Error & { $metadata?: unknown };
          const entry = { ok: false, value: { name: e.name, message: e.message, $metadata: e.$metadata } };
          push(this.tape, exactKey(ctor.name, cmd), entry);
          push(this.tape, nameKey(ctor.name, cmd), entry);
          throw error;
        }
      };
    }
    return client as T;
  }
}

/** In-process clients that answer from a tape, in recorded order per call (no network). */
class ReplayClients extends AwsClients {
  private cursors = new Map<string, number>();
  private readonly fakes = new Map<string, AnyClient>();
  constructor(
    private readonly tape: Tape,
    options: AwsOptions = {},
  ) {
    super(options);
  }
  rewind() {
    this.cursors = new Map();
  }
  override get<T>(ctor: new (config: never) => T, region: string): T {
    const id = `${ctor.name}|${region}`;
    let fake = this.fakes.get(id);
    if (!fake) {
      // A real client instance (paginators check the class) whose send answers from the tape.
      const client = new (ctor as unknown as Ctor)({ region, credentials: CREDENTIALS });
      client.send = async (cmd: { constructor: { name: string }; input: unknown }) => {
        let key = exactKey(ctor.name, cmd);
        if (!this.tape.has(key)) key = nameKey(ctor.name, cmd);
        const entries = this.tape.get(key);
        if (!entries) throw Object.assign(new Error(`no recorded answer for ${key}`), { name: 'ReplayMiss' });
        const i = this.cursors.get(key) ?? 0;
        this.cursors.set(key, i + 1);
        const entry = entries[Math.min(i, entries.length - 1)] as TapeEntry;
        if (!entry.ok) throw Object.assign(new Error(String((entry.value as Error).message)), structuredClone(entry.value));
        return structuredClone(entry.value);
      };
      fake = client;
      this.fakes.set(id, fake);
    }
    return fake as T;
  }
}

async function warmOverhead(
  demo: DemoGuardrail,
  endpoint: string,
  iterations: number,
): Promise<Record<string, { outcome: string; p50Us: number; p99Us: number; meanUs: number; iterations: number }>> {
  const plain = new AwsClients({ endpoint, credentials: CREDENTIALS, maxAttempts: 1 });
  const ctx: DemoContext = { account: ACCOUNT, region: REGION, clients: plain };
  const policy = demoPolicy(demo);
  const logger = createLogger('bench');
  await demo.prepare(ctx);
  await new Controller({ guardrails: [demo.guardrail], policy, account: ACCOUNT, clients: plain, logger }).sweep({
    trigger: { type: 'cli', eventId: null, eventName: 'baseline', actor: 'bench' },
  });
  const scenario = demo.scenarios.find((s) => !s.expect || s.expect.includes('remediated'));
  if (!scenario) throw new Error(`${demo.guardrail.name}: no remediating scenario`);
  const [event] = await scenario.tamper(ctx);
  const out: Record<string, { outcome: string; p50Us: number; p99Us: number; meanUs: number; iterations: number }> = {};
  for (const label of ['first delivery (remediates)', 'repeat delivery (nothing to do)']) {
    // Record: the first delivery remediates, the second finds the resource compliant.
    const recording = new RecordingClients({ endpoint, credentials: CREDENTIALS, maxAttempts: 1 });
    const recorded = await new Controller({
      guardrails: [demo.guardrail],
      policy,
      account: ACCOUNT,
      clients: recording,
      logger,
    }).handleEvent(event);
    const outcome = recorded.map((r) => r.outcome).join(',');
    const replay = new ReplayClients(recording.tape);
    const controller = new Controller({ guardrails: [demo.guardrail], policy, account: ACCOUNT, clients: replay, logger });
    const times: number[] = [];
    for (let i = 0; i < iterations + 50; i++) {
      replay.rewind();
      const t0 = process.hrtime.bigint();
      const records = await controller.handleEvent(event);
      const us = Number(process.hrtime.bigint() - t0) / 1e3;
      if (i === 0 && records.map((r) => r.outcome).join(',') !== outcome) {
        throw new Error(
          `${demo.guardrail.name}: replay gave ${records.map((r) => `${r.outcome}: ${r.reason}`)} instead of ${outcome}`,
        );
      }
      if (i >= 50) times.push(us); // the first 50 warm the JIT
    }
    times.sort((a, b) => a - b);
    out[label] = {
      outcome,
      p50Us: round(percentile(times, 50)),
      p99Us: round(percentile(times, 99)),
      meanUs: round(times.reduce((a, b) => a + b, 0) / times.length),
      iterations,
    };
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// 4. Scenarios on the emulator

interface ScenarioFigures {
  guardrail: string;
  scenario: string;
  outcomes: string[];
  apiCalls: number;
  calls: string[];
  writes: string[];
  putEvents: number;
  minimum: number;
  minimumWhy: string;
  wallMs: number;
  stateAfter: string;
}

async function scenarios(demo: DemoGuardrail, endpoint: string): Promise<ScenarioFigures[]> {
  const plain = new AwsClients({ endpoint, credentials: CREDENTIALS, maxAttempts: 1 });
  const ctx: DemoContext = { account: ACCOUNT, region: REGION, clients: plain };
  const calls: string[] = [];
  const clients = new AwsClients({
    endpoint,
    credentials: CREDENTIALS,
    maxAttempts: 1,
    recorder: ({ action }) => calls.push(action),
  });
  const policy = demoPolicy(demo);
  const logger = createLogger('bench');
  await createAuditBus(plain, REGION, 'logwarden-audit');
  const runtime = createRuntime({ guardrails: [demo.guardrail], policy, account: ACCOUNT, region: REGION, logger, clients });
  await demo.prepare(ctx);
  await runtime.controller.sweep({ trigger: { type: 'cli', eventId: null, eventName: 'baseline', actor: 'bench' } });
  const out: ScenarioFigures[] = [];
  for (const s of demo.scenarios) {
    const events = await s.tamper(ctx);
    calls.length = 0;
    const t0 = process.hrtime.bigint();
    const records: AuditRecord[] = await runtime.controller.handleEvents(events);
    await runtime.sink.publish(records);
    const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const after = await s.check(ctx);
    const api = calls.filter((c) => c !== 'events:PutEvents');
    const min = s.minimum;
    out.push({
      guardrail: demo.guardrail.name,
      scenario: s.title,
      outcomes: records.map((r) => r.outcome),
      apiCalls: api.length,
      calls: api,
      writes: api.filter((c) => !/:(Get|List|Describe|Head)/.test(c)),
      putEvents: calls.length - api.length,
      minimum: min.calls,
      minimumWhy: min.why,
      wallMs: round(wallMs),
      stateAfter: after ?? 'as the policy wants',
    });
    say(`  ${s.title}: ${api.length} calls (minimum ${min.calls}), ${round(wallMs)} ms`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// 5. Sweeps (the guardrail helpers' scripts, each in its own process)

function sweepScript(script: string, args: string[]): Record<string, unknown> {
  const started = Date.now();
  const stdout = execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', script), ...args], {
    cwd: ROOT,
    env: { ...process.env, LOGWARDEN_LOG_LEVEL: 'CRITICAL', NODE_NO_WARNINGS: '1' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  });
  return { ...(JSON.parse(stdout) as Record<string, unknown>), processSeconds: round((Date.now() - started) / 1000) };
}

/**
 * 6: the side-by-side with Cloud Custodian writes its own results files; a failure (no python3, no
 * network for pip, a run that did not fix exactly) is reported here, never fatal to the bench.
 */
function measureSideBySide(): Record<string, unknown> {
  if (quick) return { skipped: '--quick' };
  say('== side by side with Cloud Custodian (bench/side-by-side.ts)');
  const started = Date.now();
  const res = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'side-by-side.ts')], {
    cwd: ROOT,
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const seconds = round((Date.now() - started) / 1000);
  if (res.status === 0) return { results: 'bench/results/side-by-side.md', seconds };
  const error = res.error?.message ?? `exit code ${res.status}`;
  say(`  side-by-side failed (${error}); the rest of the bench stands`);
  return { error, seconds };
}

// ---------------------------------------------------------------------------------------------

/** The CLI start-up section: each figure as a ratio to bare node, next to its budget. */
function startupLines(startup: unknown): string[] {
  const s = startup as Record<string, { medianMs: number; ratio: number; budget: number; within: boolean }> & {
    bareNodeMs?: number;
    error?: string;
  };
  if (!s || s.error) return ['## CLI start-up', '', `failed: ${s?.error ?? 'not measured'}`, ''];
  const row = (label: string, f: { medianMs: number; ratio: number; budget: number; within: boolean }) =>
    `| ${label} | ${f.medianMs} ms | ${f.ratio}× | ≤ ${f.budget}× | ${f.within ? 'within' : 'over'} |`;
  return [
    '## CLI start-up (bench/startup.ts)',
    '',
    `Ratios to a bare \`node -e 0\` on this machine (${s.bareNodeMs} ms), medians; the CLI as users run it (\`node bin/logwarden.mjs\`, built dist/).`,
    '',
    '| command | median | ratio to bare node | budget | |',
    '|---|---:|---:|---:|---|',
    row('`logwarden --help`', s.help as never),
    row('`logwarden --version`', s.version as never),
    row('`logwarden scan` (empty account): process start to first AWS call', s.scanToFirstCall as never),
    '',
  ];
}

function markdown(r: Record<string, unknown>): string {
  const res = r as {
    generatedAt: string;
    machine: string;
    bundles: Record<string, { bytes: number; gzipBytes: number; budgetGzipBytes: number }>;
    coldInit: Record<string, { importMsMedian: number; processMsMedian: number; runs: number }>;
    warm: Record<string, Record<string, { outcome: string; p50Us: number; p99Us: number; iterations: number }>>;
    scenarios: ScenarioFigures[];
    sweeps: Record<string, Record<string, unknown>>;
    sideBySide: { skipped?: string; error?: string; seconds?: number };
    totalSeconds: number;
  };
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  const lines = [
    '# logwarden benchmark results',
    '',
    `Generated ${res.generatedAt} by \`npm run bench\` (bench/run.ts) on ${res.machine}; total ${res.totalSeconds} s.`,
    'Emulator: moto 5.2.5 in server mode on loopback, SDK maxAttempts 1. Emulator times are not AWS latencies;',
    'they show the cost in calls and the relative weight of each path.',
    '',
    '## Bundles and cold init',
    '',
    '| guardrail | bundle | gzip | gzip budget | cold init: import (median) | cold init: whole `node` process (median) |',
    '|---|---:|---:|---:|---:|---:|',
    ...Object.entries(res.bundles).map(
      ([g, b]) =>
        `| ${g} | ${kb(b.bytes)} (${b.bytes} B) | ${kb(b.gzipBytes)} (${b.gzipBytes} B) | ${b.budgetGzipBytes} B | ${res.coldInit[g]?.importMsMedian} ms | ${res.coldInit[g]?.processMsMedian} ms |`,
    ),
    '',
    `Cold init: a fresh \`node\` process imports the bundle (esbuild, ESM, node22, minified) with a valid policy file; median of ${Object.values(res.coldInit)[0]?.runs} runs.`,
    '',
    '## Warm handling overhead per event (in-process mock, no network)',
    '',
    '| guardrail | path | p50 | p99 | iterations |',
    '|---|---|---:|---:|---:|',
    ...Object.entries(res.warm).flatMap(([g, paths]) =>
      Object.entries(paths).map(([p, f]) => `| ${g} | ${p} (${f.outcome}) | ${f.p50Us} µs | ${f.p99Us} µs | ${f.iterations} |`),
    ),
    '',
    "The SDK clients replay answers recorded on the emulator for the same event, so this is logwarden's own work: intake, resolution, observe/diff/plan/apply/verify logic and the audit record (publishing excluded).",
    '',
    '## API calls per remediation, per demo scenario (emulator)',
    '',
    '| scenario | outcome | API calls | minimum | why the minimum | writes | event in → verified state and record out |',
    '|---|---|---:|---:|---|---|---:|',
    ...res.scenarios.map(
      (s) =>
        `| ${s.scenario} | ${s.outcomes.join(', ')} | ${s.apiCalls} | ${s.minimum} | ${s.minimumWhy} | ${s.writes.join(', ') || '—'} | ${s.wallMs} ms |`,
    ),
    '',
    'API calls exclude the PutEvents call(s) that publish the record (one per scenario). Calls above the minimum are the price of the level-based design (the whole state is re-read, exemption tags, ownership) and of verification; see latest.json for the exact list per scenario.',
    '',
    ...startupLines(r.startup),
    '## Sweeps (emulator)',
    '',
    '| sweep | resources | seconds | API calls | calls by action | remediating sweep before it |',
    '|---|---:|---:|---:|---|---|',
    ...Object.entries(res.sweeps).map(([name, s]) => {
      const x = s as {
        resources?: number;
        seconds?: number;
        apiCalls?: number;
        callsByAction?: Record<string, number>;
        remediationSweep?: { apiCalls: number; seconds: number };
        error?: string;
      };
      if (x.error) return `| ${name} | — | — | — | failed: ${x.error} | — |`;
      const before = x.remediationSweep ? `${x.remediationSweep.apiCalls} calls, ${x.remediationSweep.seconds} s` : '—';
      return `| ${name} | ${x.resources} | ${x.seconds} | ${x.apiCalls} | ${Object.entries(x.callsByAction ?? {})
        .map(([a, n]) => `${a} ${n}`)
        .join(', ')} | ${before} |`;
    }),
    '',
    'Bucket sweeps: 10% of the buckets without logging (remediated), the rest compliant (bench/bucket-logging-sweep.ts). VPC sweep and the 1,000-resource sweeps of bench/sweep.ts: the steady-state sweep after a remediating one (its calls in the last column; details in latest.json). moto does not paginate these listings; on AWS add ceil(n/1000) listing pages.',
    '',
    ...signingLines(r.signing),
    ...volumeLines(r.volume),
    '## Side by side with Cloud Custodian',
    '',
    res.sideBySide.skipped
      ? `Skipped (${res.sideBySide.skipped}).`
      : res.sideBySide.error
        ? `Failed after ${res.sideBySide.seconds} s: ${res.sideBySide.error}.`
        : `See [side-by-side.md](side-by-side.md) (bench/side-by-side.ts, ${res.sideBySide.seconds} s).`,
    '',
  ];
  return lines.join('\n');
}

/** 7 and 8: a script in its own process (signing overhead, audit volume); a failed run is reported, not fatal. */
function measureInProcess(title: string, script: string, args: string[]): Record<string, unknown> {
  say(`== ${title} (bench/${script})`);
  try {
    return sweepScript(script, args);
  } catch (error) {
    return { error: (error as Error).message.slice(0, 300) };
  }
}

function signingLines(signing: unknown): string[] {
  const s = signing as { error?: string; batches?: Record<string, number>[] } | undefined;
  const head = ['## Signing overhead per publish (emulator)', ''];
  if (!s || s.error) return [...head, `Not measured${s?.error ? `: ${s.error}` : ''}.`, ''];
  return [
    ...head,
    '| records | publish without | with signing | ratio | signing step | ratio from the step | KMS calls | local work | bytes added per record |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...(s.batches ?? []).map(
      (b) =>
        `| ${b.records} | ${b.publishMsWithout} ms | ${b.publishMsWith} ms | ${b.ratio} | ${b.signingStepMs} ms | ${b.signingStepRatio} | ${b.kmsCallsPerPublish} | ${b.localSigningMs} ms | ${b.integrityBytesPerRecord} |`,
    ),
    '',
    "One KMS Sign per publish, whatever the number of records (a Merkle root is signed). The publish times are moto's PutEvents, which dominates and varies with load; the signing step (digests, tree, proofs and the Sign call, timed alone) is what signing adds. On AWS the step is KMS's Sign round trip plus the local work.",
    '',
  ];
}

/** 1 and 2: bundle sizes next to their budgets, the budget problems (a guardrail without one), cold init. */
function measureBundles(): Record<string, unknown> {
  say('== bundles');
  const sizes = bundleSizes();
  const budgets = readBudgets();
  // A guardrail without a budget is still measured; the run then ends with exit code 1 naming it.
  const problems = budgetProblems(registry, budgets);
  for (const problem of problems) say(`  ${problem}`);
  const bundles = Object.fromEntries(
    Object.entries(sizes).map(([g, b]) => [
      g,
      { bytes: b.bytes, gzipBytes: b.gzipBytes, budgetGzipBytes: budgets.gzipBytes[g] ?? null },
    ]),
  );
  say('== cold init');
  const cold = Object.fromEntries(Object.entries(sizes).map(([g, b]) => [g, coldInit(b.dir, 7)]));
  return { budgetProblems: problems, bundles, coldInit: cold };
}

/** 3 and 4: warm overhead and the demo scenarios of every registered guardrail, on a fresh emulator each. */
async function measureOnEmulator(): Promise<Record<string, unknown>> {
  const demos = await loadDemos();
  const emulator = await startEmulator();
  try {
    say('== warm overhead (record on the emulator, replay in process)');
    const warm: Record<string, unknown> = {};
    for (const demo of demos) {
      await emulator.reset();
      warm[demo.guardrail.name] = await warmOverhead(demo, emulator.endpoint, quick ? 300 : 2000);
    }
    say('== demo scenarios on the emulator');
    const all: ScenarioFigures[] = [];
    for (const demo of demos) {
      await emulator.reset();
      all.push(...(await scenarios(demo, emulator.endpoint)));
    }
    return { warm, scenarios: all };
  } finally {
    await emulator.stop();
  }
}

/**
 * 5: the sweeps, each in its own process; a failed one is reported, not fatal. The bucket and VPC
 * sweeps have their own scripts (the 10,000-bucket run, the listing notes); every other guardrail's
 * demo may declare a `sweepBench`, run by bench/sweep.ts at 1,000 resources.
 */
async function measureSweeps(): Promise<Record<string, unknown>> {
  say('== sweeps on the emulator');
  const runs: [string, string, string[]][] = [
    ['bucket-logging 100 buckets', 'bucket-logging-sweep.ts', ['100']],
    ['bucket-logging 1,000 buckets', 'bucket-logging-sweep.ts', ['1000']],
  ];
  // moto answers ListBuckets with at most 10,000 buckets and no continuation token; a full page of 10,000
  // without a token is reported as a possibly incomplete listing (a failed record), so the largest
  // sweep the emulator can list for sure is 9,999 buckets: 9,998 governed plus the log bucket.
  if (!quick) runs.push(['bucket-logging 9,999 buckets (9,998 + the log bucket)', 'bucket-logging-sweep.ts', ['9998']]);
  runs.push(['flow-logs 1,000 VPCs', 'flow-logs-sweep.ts', ['1000']]);
  for (const demo of await loadDemos()) {
    const bench = demo.sweepBench;
    if (bench) runs.push([`${demo.guardrail.name} 1,000 ${bench.resources}`, 'sweep.ts', [demo.guardrail.name, '1000']]);
  }
  const sweeps: Record<string, unknown> = {};
  for (const [name, script, args] of runs) {
    say(`  ${name}`);
    try {
      sweeps[name] = sweepScript(script, args);
    } catch (error) {
      sweeps[name] = { error: (error as Error).message.slice(0, 300) };
    }
  }
  return sweeps;
}

async function main(): Promise<void> {
  process.env.LOGWARDEN_LOG_LEVEL ??= 'CRITICAL';
  const started = Date.now();
  const result: Record<string, unknown> = {
    generatedAt: new Date().toISOString(),
    command: quick ? 'npx tsx bench/run.ts --quick' : 'npm run bench',
    machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`,
  };
  Object.assign(result, measureBundles(), await measureOnEmulator());
  say('== CLI start-up (bench/startup.ts)');
  result.startup = await measureStartup().catch((error: unknown) => ({ error: (error as Error).message }));
  result.sweeps = await measureSweeps();
  result.signing = measureInProcess('signing overhead', 'signing.ts', quick ? ['1,10', '2'] : ['1,10,100', '3']);
  result.volume = measureInProcess('audit volume', 'volume.ts', []);
  result.sideBySide = measureSideBySide();
  result.totalSeconds = round((Date.now() - started) / 1000);

  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(dir, 'latest.md'), markdown(result));
  say(`wrote bench/results/latest.json and latest.md in ${result.totalSeconds} s`);
  const problems = result.budgetProblems as string[];
  if (problems.length > 0) {
    say(`budgets: ${problems.join('; ')}`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 2;
});
