/**
 * Sweep figures of any registered guardrail whose demo declares a `sweepBench`, on the emulator.
 *
 *   npx tsx bench/sweep.ts <guardrail> [resources=1000]
 *
 * Starts moto, runs the demo's `prepare` (what the infrastructure owns), seeds N governed resources
 * with the demo's `sweepBench.seed` (about a tenth non-compliant), then sweeps the region twice through
 * the controller with a call recorder: a remediating sweep and the steady-state sweep after it. Prints
 * JSON on stdout: the steady-state {resources, seconds, apiCalls, callsPerResource, callsByAction,
 * outcomes} and the same under `remediationSweep`. Progress goes to stderr.
 */

import { loadDemos } from '../cli/demo/load.js';
import { startEmulator } from '../cli/emulator.js';
import { AwsClients } from '../controllers/core/aws.js';
import { Controller } from '../controllers/core/controller.js';
import type { DemoContext, DemoGuardrail } from '../controllers/core/demo.js';
import { ownRoleArnTemplate } from '../controllers/core/identity.js';
import { createLogger } from '../controllers/core/log.js';
import { type Policy, parsePolicy } from '../controllers/core/policy.js';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

function policyFor(demo: DemoGuardrail): Policy {
  const name = demo.guardrail.name;
  return parsePolicy(
    {
      version: 1,
      controller: { regions: [REGION], ownRoleArns: [ownRoleArnTemplate(name)] },
      audit: { eventBus: 'logwarden-audit' },
      guardrails: { [name]: demo.policySection({ account: ACCOUNT, region: REGION }) },
    },
    [demo.guardrail],
  );
}

/** One sweep of the region with the calls it made. */
async function measuredSweep(controller: Controller, calls: string[], name: string) {
  calls.length = 0;
  const started = process.hrtime.bigint();
  const records = await controller.sweep({
    trigger: { type: 'sweep', eventId: null, eventName: 'ScheduledSweep', actor: 'bench' },
    guardrails: [name],
    regions: [REGION],
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const tally = (values: readonly string[]) => {
    const out: Record<string, number> = {};
    for (const v of values) out[v] = (out[v] ?? 0) + 1;
    return out;
  };
  return {
    resources: records.length,
    seconds: Math.round(seconds * 1000) / 1000,
    apiCalls: calls.length,
    callsPerResource: records.length ? Math.round((calls.length / records.length) * 1000) / 1000 : null,
    callsByAction: tally(calls),
    outcomes: tally(records.map((r) => r.outcome)),
  };
}

async function demoWithBench(name: string | undefined): Promise<DemoGuardrail> {
  const demos = await loadDemos();
  const benched = demos.filter((d) => d.sweepBench).map((d) => d.guardrail.name);
  const demo = demos.find((d) => d.guardrail.name === name);
  if (!demo?.sweepBench) throw new Error(`usage: npx tsx bench/sweep.ts <${benched.join('|')}> [resources]`);
  return demo;
}

async function main(): Promise<void> {
  const demo = await demoWithBench(process.argv[2]);
  const n = Number(process.argv[3] ?? 1000);
  if (!Number.isInteger(n) || n < 1) throw new Error(`resources must be a positive integer, got "${process.argv[3]}"`);
  process.env.LOGWARDEN_LOG_LEVEL ??= 'CRITICAL';
  const emulator = await startEmulator();
  try {
    const ctx: DemoContext = {
      account: ACCOUNT,
      region: REGION,
      clients: new AwsClients({ endpoint: emulator.endpoint, credentials: CREDENTIALS, maxAttempts: 1 }),
    };
    await demo.prepare(ctx);
    process.stderr.write(`seeding ${n} ${demo.sweepBench?.resources} on the emulator...\n`);
    await demo.sweepBench?.seed(ctx, n);
    const calls: string[] = [];
    const recorder = ({ action }: { action: string }) => calls.push(action);
    const clients = new AwsClients({ endpoint: emulator.endpoint, credentials: CREDENTIALS, maxAttempts: 1, recorder });
    const controller = new Controller({
      guardrails: [demo.guardrail],
      policy: policyFor(demo),
      account: ACCOUNT,
      clients,
      logger: createLogger('bench'),
    });
    const remediationSweep = await measuredSweep(controller, calls, demo.guardrail.name);
    const steady = await measuredSweep(controller, calls, demo.guardrail.name);
    process.stdout.write(`${JSON.stringify({ ...steady, remediationSweep }, null, 2)}\n`);
  } finally {
    await emulator.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
});
