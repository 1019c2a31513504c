/**
 * Audit volume and its monthly cost for an organization (#13 item 6), from records measured on the emulator.
 *
 *   npx tsx bench/volume.ts
 *
 * For every registered guardrail's demo on moto: a remediating sweep of what the demo prepares, then the
 * steady-state sweep (everything compliant). The records are signed with a KMS key on the emulator and
 * wrapped in the EventBridge envelope, as the central sinks store them; measured: the bytes of a
 * remediated, a compliant and a sweep-summary record, and what one steady sweep publishes with
 * `audit.sweepRecords` `summary` and `all`. The heartbeat record is built by its own function.
 * Then the model (bench/volume-model.ts): 1,000 accounts × 4 regions, every guardrail on its default
 * schedule, with the resource counts and prices it states. Prints JSON on stdout; progress on stderr.
 */
import { randomUUID } from 'node:crypto';
import { createSigningKey } from '../cli/demo/evidence.js';
import { loadDemos } from '../cli/demo/load.js';
import { startEmulator } from '../cli/emulator.js';
import { AwsClients } from '../controllers/core/aws.js';
import type { DemoGuardrail } from '../controllers/core/demo.js';
import { ownRoleArnTemplate } from '../controllers/core/identity.js';
import { KmsAuditSigner } from '../controllers/core/kms.js';
import { createLogger } from '../controllers/core/log.js';
import { type Policy, parsePolicy, sweepScheduleOf } from '../controllers/core/policy.js';
import { AUDIT_DETAIL_TYPE, AUDIT_SOURCE, type AuditRecord } from '../controllers/core/record.js';
import { createRuntime } from '../controllers/core/runtime.js';
import { type AuditSigner, signRecords } from '../controllers/core/signing.js';
import { summariseSweeps } from '../controllers/core/sweep-summary.js';
import { heartbeatRecord } from '../controllers/heartbeat/index.js';
import { type GuardrailVolume, monthlyVolume } from './volume-model.js';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'bench', secretAccessKey: 'bench' };
const say = (s: string) => process.stderr.write(`${s}\n`);

function policyFor(demos: readonly DemoGuardrail[]): Policy {
  return parsePolicy(
    {
      version: 1,
      controller: { regions: [REGION], ownRoleArns: demos.map((d) => ownRoleArnTemplate(d.guardrail.name)) },
      audit: { eventBus: 'logwarden-audit' },
      guardrails: Object.fromEntries(demos.map((d) => [d.guardrail.name, d.policySection({ account: ACCOUNT, region: REGION })])),
    },
    demos.map((d) => d.guardrail),
  );
}

/** A record as the central sinks store it: signed, inside the EventBridge envelope. */
const eventBytes = (r: AuditRecord) =>
  Buffer.byteLength(
    JSON.stringify({
      version: '0',
      id: randomUUID(),
      'detail-type': AUDIT_DETAIL_TYPE,
      source: AUDIT_SOURCE,
      account: r.account,
      time: r.time,
      region: r.region,
      resources: [],
      detail: r,
    }),
  );

async function signedBytes(records: readonly AuditRecord[], signer: AuditSigner): Promise<number[]> {
  if (records.length === 0) return [];
  const { records: signed, error } = await signRecords(records, signer);
  if (error) throw new Error(`signing on the emulator failed: ${error}`);
  return signed.map(eventBytes);
}

const mean = (xs: readonly number[]) => (xs.length === 0 ? 0 : Math.round(xs.reduce((a, b) => a + b, 0) / xs.length));
const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

/** What one guardrail's remediating and steady-state sweeps publish, in bytes. */
async function guardrailVolume(
  demo: DemoGuardrail,
  o: { policy: Policy; clients: AwsClients; signer: AuditSigner },
): Promise<GuardrailVolume> {
  const name = demo.guardrail.name;
  const ctx = { account: ACCOUNT, region: REGION, clients: o.clients };
  await demo.prepare(ctx);
  const runtime = createRuntime({
    guardrails: [demo.guardrail],
    policy: o.policy,
    account: ACCOUNT,
    region: REGION,
    logger: createLogger('bench-volume'),
    clients: o.clients,
  });
  const trigger = { type: 'sweep' as const, eventId: null, eventName: 'ScheduledSweep', actor: 'aws.events' };
  const first = await runtime.controller.sweep({ trigger, guardrails: [name], regions: [REGION] });
  const steady = await runtime.controller.sweep({ trigger, guardrails: [name], regions: [REGION] });
  const summary = summariseSweeps(steady, new Date());
  const remediated = await signedBytes(
    first.filter((r) => r.outcome === 'remediated'),
    o.signer,
  );
  const all = await signedBytes(steady, o.signer);
  const summarised = await signedBytes(summary, o.signer);
  return {
    guardrail: name,
    schedule: sweepScheduleOf(o.policy, demo.guardrail),
    steadyResources: steady.length,
    steadyOutcomes: steady.map((r) => r.outcome).join(','),
    bytes: { remediated: mean(remediated), compliant: mean(all), summaryRecord: mean(summarised) },
    steadySweep: {
      all: { records: all.length, bytes: sum(all) },
      summary: { records: summarised.length, bytes: sum(summarised) },
    },
  };
}

async function main(): Promise<void> {
  const demos = await loadDemos();
  const policy = policyFor(demos);
  const emulator = await startEmulator();
  try {
    const clients = new AwsClients({ endpoint: emulator.endpoint, credentials: CREDENTIALS, maxAttempts: 1 });
    const signer = new KmsAuditSigner(clients, await createSigningKey(clients, REGION), REGION);
    const guardrails: GuardrailVolume[] = [];
    for (const demo of demos) {
      say(`  ${demo.guardrail.name}`);
      guardrails.push(await guardrailVolume(demo, { policy, clients, signer }));
    }
    const beat = heartbeatRecord({
      account: ACCOUNT,
      region: REGION,
      policy,
      eventId: randomUUID(),
      now: new Date(),
      findings: [],
    });
    const heartbeatBytes = (await signedBytes([beat], signer))[0] as number;
    process.stdout.write(`${JSON.stringify({ guardrails, heartbeatBytes, model: monthlyVolume(guardrails, heartbeatBytes) })}\n`);
  } finally {
    await emulator.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`volume bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 2;
});
