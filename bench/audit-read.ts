/**
 * Time to read and summarise audit records from a local file.
 *
 *   npx tsx bench/audit-read.ts [records=100000]
 *
 * Writes N realistic records (JSON lines, half of them in EventBridge envelopes as the log group
 * and the archive hold them; five guardrails, 200 accounts, 4 regions, a heartbeat every 15
 * minutes per deployment, drift and action details) into a temporary file, then times
 * `logwarden audit --summary` over it: in-process (the command registered on a fresh program, best
 * of 3 runs) and as a CLI process (`node bin/logwarden.mjs audit FILE --summary --json`, which
 * includes start-up: tsx, module loading). Prints JSON on stdout; progress on stderr.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditInProcess } from '../cli/audit/command.js';
import type { AuditSummary } from '../cli/audit/summary.js';
import { AUDIT_DETAIL_TYPE, AUDIT_SOURCE, type AuditRecord, type Outcome, SCHEMA_VERSION } from '../controllers/core/record.js';

const N = Number(process.argv[2] ?? 100_000);
const log = (s: string) => process.stderr.write(`${s}\n`);

const GUARDRAILS = [
  { name: 'cloudtrail', type: 'AWS::CloudTrail::Trail', api: 'cloudtrail:StartLogging', event: 'StopLogging', prop: 'isLogging' },
  { name: 'flow-logs', type: 'AWS::EC2::VPC', api: 'ec2:CreateFlowLogs', event: 'DeleteFlowLogs', prop: 'flowLogs' },
  {
    name: 'bucket-logging',
    type: 'AWS::S3::Bucket',
    api: 's3:PutBucketLogging',
    event: 'PutBucketLogging',
    prop: 'loggingEnabled',
  },
  {
    name: 'guardduty',
    type: 'AWS::GuardDuty::Detector',
    api: 'guardduty:UpdateDetector',
    event: 'UpdateDetector',
    prop: 'status',
  },
] as const;
const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-southeast-2'];
const ACCOUNTS = Array.from({ length: 200 }, (_, i) => String(100000000000 + i * 7919));

/** Deterministic pseudo-random numbers, so every run writes the same file. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function generate(n: number): string[] {
  const rand = rng(42);
  const end = Date.parse('2026-11-26T12:00:00Z');
  const span = 90 * 86_400_000;
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const time = new Date(end - span + Math.floor((i / n) * span)).toISOString();
    const account = ACCOUNTS[Math.floor(rand() * ACCOUNTS.length)] as string;
    const region = REGIONS[Math.floor(rand() * REGIONS.length)] as string;
    let r: AuditRecord;
    if (i % 10 === 0) {
      r = {
        schemaVersion: SCHEMA_VERSION,
        id: randomUUID(),
        time,
        guardrail: 'heartbeat',
        account,
        region,
        resource: { type: 'logwarden::Deployment', id: `${account}/${region}`, arn: null },
        trigger: { type: 'sweep', eventId: randomUUID(), eventName: 'Heartbeat', actor: 'aws.events' },
        outcome: 'compliant',
        reason: `logwarden is running in ${account}/${region}: bucket-logging (remediate), cloudtrail (remediate), flow-logs (remediate)`,
        mode: 'notify',
        drift: [],
        actions: [],
        verified: null,
        retryable: false,
        durationMs: 3,
        runbook: 'docs/deployment.md',
      };
    } else {
      const g = GUARDRAILS[Math.floor(rand() * GUARDRAILS.length)] as (typeof GUARDRAILS)[number];
      const x = rand();
      const outcome: Outcome =
        x < 0.45
          ? 'remediated'
          : x < 0.85
            ? 'compliant'
            : x < 0.92
              ? 'drift-detected'
              : x < 0.96
                ? 'exempt'
                : x < 0.99
                  ? 'failed'
                  : 'escalated';
      const id = `${g.name === 'flow-logs' ? 'vpc-0' : ''}${g.name}-${Math.floor(rand() * 500)}`;
      const drifted = outcome !== 'compliant' && outcome !== 'exempt';
      r = {
        schemaVersion: SCHEMA_VERSION,
        id: randomUUID(),
        time,
        guardrail: g.name,
        account,
        region,
        resource: { type: g.type, id, arn: `arn:aws:${g.name}:${region}:${account}:${id}` },
        trigger: {
          type: rand() < 0.7 ? 'cloudtrail' : 'sweep',
          eventId: randomUUID(),
          eventName: g.event,
          actor: `arn:aws:sts::${account}:assumed-role/Admin/user-${Math.floor(rand() * 40)}`,
        },
        outcome,
        reason: drifted ? `1 difference(s) from the policy: ${g.prop}` : 'matches the policy',
        mode: 'remediate',
        drift: drifted ? [{ property: g.prop, observed: false, desired: true }] : [],
        actions:
          outcome === 'remediated' || outcome === 'failed'
            ? [
                {
                  api: g.api,
                  ok: outcome === 'remediated',
                  error: outcome === 'failed' ? 'AccessDenied: explicit deny in an SCP' : null,
                },
              ]
            : [],
        verified: outcome === 'remediated' ? true : null,
        retryable: false,
        durationMs: Math.round(80 + rand() * 900 + (rand() < 0.05 ? 4000 : 0)),
        runbook: `runbooks/${g.name}.md`,
      };
    }
    lines.push(
      JSON.stringify(
        i % 2
          ? {
              version: '0',
              id: randomUUID(),
              'detail-type': AUDIT_DETAIL_TYPE,
              source: AUDIT_SOURCE,
              account,
              time,
              region,
              resources: [],
              detail: r,
            }
          : r,
      ),
    );
  }
  return lines;
}

async function inProcess(file: string): Promise<{ ms: number; summary: AuditSummary }> {
  const t = performance.now();
  const out = await auditInProcess([file, '--summary', '--json'], { now: () => new Date('2026-11-26T12:00:00Z') });
  return { ms: performance.now() - t, summary: JSON.parse(out) as AuditSummary };
}

const dir = mkdtempSync(join(tmpdir(), 'logwarden-bench-audit-'));
const file = join(dir, 'audit.jsonl');
try {
  log(`bench: writing ${N} records to ${file}`);
  writeFileSync(file, `${generate(N).join('\n')}\n`);
  const bytes = statSync(file).size;
  const runs: number[] = [];
  let summary: AuditSummary | undefined;
  for (let i = 0; i < 3; i++) {
    const r = await inProcess(file);
    runs.push(r.ms);
    summary = r.summary;
    log(`bench: in-process run ${i + 1}: ${Math.round(r.ms)} ms`);
  }
  const cliRuns: number[] = [];
  const cliRss: number[] = [];
  // GNU time reports the CLI process's peak memory where it is installed.
  const gnuTime = existsSync('/usr/bin/time');
  for (let i = 0; i < 3; i++) {
    const argv = [process.execPath, 'bin/logwarden.mjs', 'audit', file, '--summary', '--json'];
    const t = performance.now();
    const p = gnuTime
      ? spawnSync('/usr/bin/time', ['-f', 'maxrss=%M', ...argv], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
      : spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    cliRuns.push(performance.now() - t);
    if (p.status !== 0 && p.status !== 1) throw new Error(`CLI exited ${p.status}: ${p.stderr}`);
    const rss = /maxrss=(\d+)/.exec(p.stderr)?.[1];
    if (rss) cliRss.push(Number(rss) / 1024);
    log(`bench: CLI run ${i + 1}: ${Math.round(cliRuns[i] as number)} ms (exit ${p.status})`);
  }
  const start = spawnSync(process.execPath, ['bin/logwarden.mjs', 'audit', '--help'], { encoding: 'utf8' });
  const t = performance.now();
  spawnSync(process.execPath, ['bin/logwarden.mjs', 'audit', '--help'], { encoding: 'utf8' });
  const startupMs = performance.now() - t;
  if (start.status !== 0) throw new Error(`--help exited ${start.status}`);
  const best = (xs: number[]) => Math.round(Math.min(...xs));
  process.stdout.write(
    `${JSON.stringify(
      {
        records: N,
        fileMiB: Number((bytes / 2 ** 20).toFixed(1)),
        inProcessMs: { best: best(runs), runs: runs.map(Math.round) },
        recordsPerSecond: Math.round(N / (Math.min(...runs) / 1000)),
        cliProcessMs: { best: best(cliRuns), runs: cliRuns.map(Math.round) },
        cliStartupMs: Math.round(startupMs),
        cliPeakRssMiB: cliRss.length > 0 ? Math.round(Math.max(...cliRss)) : null,
        check: {
          selected: summary?.selected,
          rejected: summary?.integrity.rejected,
          remediated: summary?.byOutcome.remediated,
          p50Ms: summary?.timeToRemediate.p50Ms,
          p95Ms: summary?.timeToRemediate.p95Ms,
        },
        node: process.version,
        cpus: (await import('node:os')).cpus().length,
      },
      null,
      2,
    )}\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
