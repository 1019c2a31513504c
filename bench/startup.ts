/**
 * Start-up budgets of the CLI (`npm run bench`, bench/run.ts), as ratios to a bare `node -e 0` on the
 * same machine, so that a noisy machine does not move them much:
 * - `logwarden --help` and `--version`: whole process, within 3× of bare node;
 * - `logwarden scan` of an empty account on the emulator: process start to its first AWS call (seen at
 *   a counting proxy in front of moto), within 5×.
 * The CLI runs as users run it: `node bin/logwarden.mjs`, which starts the built dist/ (scripts/bench.sh
 * builds it first). Medians of interleaved runs.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from '../cli/emulator.js';
import { ownRoleArnTemplate } from '../controllers/core/identity.js';
import { ROOT } from './bundle-size.js';
import { startCountingProxy } from './side-by-side/proxy.js';

const RUNS = 9;
const BIN = join(ROOT, 'bin', 'logwarden.mjs');
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const round = (x: number, digits = 0) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Wall time of one whole process, in ms. */
function processMs(args: string[]): number {
  const started = performance.now();
  const res = spawnSync(process.execPath, args, { stdio: 'ignore', env: { ...process.env, NODE_NO_WARNINGS: '1' } });
  if (res.status !== 0) throw new Error(`node ${args.join(' ')} exited ${res.status}`);
  return performance.now() - started;
}

/** A policy governing one trail in us-east-1 of an account where nothing exists: the scan's first call is a read. */
function emptyAccountPolicy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'logwarden-startup-'));
  const file = join(dir, 'policy.json');
  const policy = {
    version: 1,
    controller: { regions: ['us-east-1'], ownRoleArns: [ownRoleArnTemplate('cloudtrail')] },
    audit: { eventBus: 'logwarden-audit' },
    guardrails: {
      cloudtrail: { mode: 'notify', trails: [{ name: 'org-trail', homeRegion: 'us-east-1', s3BucketName: 'org-trail-logs' }] },
    },
  };
  writeFileSync(file, JSON.stringify(policy));
  return file;
}

/** Process start to first AWS call of `scan`, in ms, for each run. */
async function scanToFirstCall(runs: number): Promise<number[]> {
  const emulator = await startEmulator();
  const proxy = await startCountingProxy(emulator.endpoint);
  const config = emptyAccountPolicy();
  const env = {
    ...process.env,
    NODE_NO_WARNINGS: '1',
    AWS_ENDPOINT_URL: proxy.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
  };
  try {
    const out: number[] = [];
    for (let i = 0; i < runs; i++) {
      proxy.take();
      const started = performance.timeOrigin + performance.now();
      const child = spawn(process.execPath, [BIN, 'scan', '--config', config, '-g', 'cloudtrail'], {
        env,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
      });
      await new Promise((resolve) => child.on('exit', resolve));
      const first = proxy.firstCallAt();
      if (first === null) throw new Error(`scan made no AWS call: ${stderr.slice(0, 300)}`);
      out.push(first - started);
    }
    return out;
  } finally {
    await proxy.stop();
    await emulator.stop();
  }
}

/** The start-up figures and whether each budget holds. */
export async function measureStartup(): Promise<Record<string, unknown>> {
  const bare: number[] = [];
  const help: number[] = [];
  const version: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    bare.push(processMs(['-e', '0']));
    help.push(processMs([BIN, '--help']));
    version.push(processMs([BIN, '--version']));
  }
  const scan = await scanToFirstCall(5);
  const base = median(bare);
  const figure = (xs: number[], budget: number) => {
    const ratio = round(median(xs) / base, 2);
    return { medianMs: round(median(xs)), ratio, budget, within: ratio <= budget };
  };
  return {
    bareNodeMs: round(base),
    help: figure(help, 3),
    version: figure(version, 3),
    scanToFirstCall: figure(scan, 5),
  };
}
