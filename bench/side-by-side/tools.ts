/**
 * One run of one tool as a whole child process, pointed at the counting proxy, timed from spawn to exit.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ownRoleArnTemplate } from '../../controllers/core/identity.js';
import { REGION, ROOT } from './constants.js';
import { CUSTODIAN, custodianArgs } from './custodian.js';
import type { Job, Tool } from './job.js';

export interface ToolRun {
  seconds: number;
  exitCode: number | null;
  /** The end of the tool's stderr, kept when it exited non-zero. */
  stderrTail?: string;
}

/** Where Custodian writes its output (`-s`) for a run whose files are in `dir`. */
export const custodianOutDir = (dir: string) => join(dir, 'custodian-out');

/** A minimal policy document for the job's one guardrail. */
function logwardenPolicy(job: Job): Record<string, unknown> {
  const { guardrail, section } = job.logwarden;
  return {
    version: 1,
    controller: { regions: [REGION], ownRoleArns: [ownRoleArnTemplate(guardrail)] },
    audit: { eventBus: 'logwarden-audit' },
    guardrails: { [guardrail]: section },
  };
}

/** The command line of a tool for a job; policy files go into `dir`. */
function commandOf(tool: Tool, job: Job, dir: string): [string, string[]] {
  if (tool === 'logwarden') {
    const policy = join(dir, 'logwarden.policy.json');
    writeFileSync(policy, JSON.stringify(logwardenPolicy(job), null, 2));
    const args = ['remediate', '--config', policy, '-g', job.logwarden.guardrail, '-r', REGION, '--no-publish'];
    return [process.execPath, [join(ROOT, 'bin', 'logwarden.mjs'), ...args]];
  }
  // Custodian reads JSON policy files as well as YAML.
  const policy = join(dir, 'custodian.json');
  writeFileSync(policy, JSON.stringify({ policies: [job.custodian] }, null, 2));
  return [CUSTODIAN, custodianArgs(policy, custodianOutDir(dir), REGION)];
}

/**
 * The same environment for both tools: the SDKs' standard endpoint variable (both the JavaScript SDK
 * and boto3 honour AWS_ENDPOINT_URL), test credentials, and a HOME of their own so neither reads the
 * machine's ~/.aws or caches.
 */
function toolEnv(endpoint: string, home: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: home,
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_EC2_METADATA_DISABLED: 'true',
    NODE_NO_WARNINGS: '1',
  };
}

/** Spawn a process and time it from spawn to exit. */
function timedProcess(command: string, args: string[], dir: string, env: NodeJS.ProcessEnv): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    // Asynchronous on purpose: the counting proxy runs in this process and must keep answering.
    const child = spawn(command, args, { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    child.on('error', reject);
    child.on('close', (exitCode) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      resolve({ seconds, exitCode, ...(exitCode === 0 ? {} : { stderrTail: stderr.trim() }) });
    });
  });
}

/** Run `tool` on `job` against `endpoint`; files of the run go into `dir`. */
export function runTool(tool: Tool, job: Job, endpoint: string, dir: string): Promise<ToolRun> {
  mkdirSync(dir, { recursive: true });
  const [command, args] = commandOf(tool, job, dir);
  return timedProcess(command, args, dir, toolEnv(endpoint, dir));
}

/**
 * The tool's process floor: printing its version (interpreter start, module loading, no AWS call).
 * It puts the wall times of the small jobs in perspective.
 */
export function runVersion(tool: Tool, endpoint: string, dir: string): Promise<ToolRun> {
  mkdirSync(dir, { recursive: true });
  const [command, args]: [string, string[]] =
    tool === 'logwarden' ? [process.execPath, [join(ROOT, 'bin', 'logwarden.mjs'), '--version']] : [CUSTODIAN, ['version']];
  return timedProcess(command, args, dir, toolEnv(endpoint, dir));
}
