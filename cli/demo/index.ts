import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { AwsClients } from '../../controllers/core/aws.js';
import type { DemoContext, DemoGuardrail } from '../../controllers/core/demo.js';
import { ownRoleArnTemplate } from '../../controllers/core/identity.js';
import { createLogger } from '../../controllers/core/log.js';
import { parsePolicy } from '../../controllers/core/policy.js';
import type { AuditRecord } from '../../controllers/core/record.js';
import { createRuntime } from '../../controllers/core/runtime.js';
import { createAuditBus } from '../audit-bus.js';
import { startEmulator } from '../emulator.js';
import { jsonLines, recordsTable } from '../format.js';
import { catchForgery, createSigningKey } from './evidence.js';
import { loadDemos } from './load.js';

const DEMO_ACCOUNT = '123456789012';
const DEMO_REGION = 'us-east-1';
const AUDIT_BUS = 'logwarden-audit';

export interface DemoOptions {
  json: boolean;
  /** JSON-lines file for the audit records (for `logwarden audit`). */
  out: string;
  write: (text: string) => void;
  /** Default: every registered guardrail's demo (`loadDemos()`), in registry order. */
  demos?: readonly DemoGuardrail[];
}

const ms = (n: number) => `${Math.round(n)} ms`;

/**
 * The main job on the embedded emulator: start moto, build a compliant baseline, tamper for
 * real, deliver the CloudTrail-shaped events, show what logwarden found and did, then scan.
 * Returns true when everything ended as expected.
 */
export async function runDemo(options: DemoOptions): Promise<boolean> {
  const list = options.demos ?? (await loadDemos());
  const say = (s = '') => {
    if (!options.json) options.write(`${s}\n`);
  };
  const emulator = await startEmulator();
  const all: AuditRecord[] = [];
  try {
    const clients = new AwsClients({
      endpoint: emulator.endpoint,
      credentials: { accessKeyId: 'demo', secretAccessKey: 'demo' },
      maxAttempts: 1,
    });
    const ctx: DemoContext = { account: DEMO_ACCOUNT, region: DEMO_REGION, clients };
    const signingKey = await createSigningKey(clients, DEMO_REGION);
    const policy = parsePolicy(
      {
        version: 1,
        controller: { regions: [DEMO_REGION], ownRoleArns: list.map((d) => ownRoleArnTemplate(d.guardrail.name)) },
        audit: { eventBus: AUDIT_BUS, signingKey },
        guardrails: Object.fromEntries(list.map((d) => [d.guardrail.name, d.policySection(ctx)])),
      },
      list.map((d) => d.guardrail),
      'demo policy',
    );
    const logger = createLogger('logwarden-demo');
    const runtimeFor = (dryRun: boolean) =>
      createRuntime({
        guardrails: list.map((d) => d.guardrail),
        policy,
        account: DEMO_ACCOUNT,
        region: DEMO_REGION,
        logger,
        clients,
        dryRun,
      });
    const runtime = runtimeFor(false);
    const audit = await createAuditBus(clients, DEMO_REGION, AUDIT_BUS);
    say(`logwarden demo: local AWS emulator (moto) at ${emulator.endpoint}, account ${DEMO_ACCOUNT}, region ${DEMO_REGION}`);
    say(
      `guardrails: ${list.map((d) => `${d.guardrail.name} (${policy.guardrails[d.guardrail.name] ? 'remediate' : 'off'})`).join(', ')}`,
    );
    say();

    const publish = async (records: AuditRecord[]) => {
      all.push(...records);
      await runtime.sink.publish(records);
    };

    // Baseline: what the infrastructure owns, then one remediating sweep makes everything compliant.
    let t = performance.now();
    for (const d of list) await d.prepare(ctx);
    const baseline = await runtime.controller.sweep({
      trigger: { type: 'cli', eventId: null, eventName: 'demo baseline', actor: 'demo' },
    });
    await publish(baseline);
    say(`baseline: ${baseline.length} resource(s) brought to the policy in ${ms(performance.now() - t)}`);
    say(recordsTable(baseline).replace(/^/gm, '  '));
    say();

    let ok = !baseline.some((r) => r.outcome === 'failed');
    // An event may reach several guardrails (CreateVpc: flow-logs and resolver-query-logs; S3
    // PutBucketPolicy: integrity and log-bucket-retention): another guardrail may also ignore it.
    const scenarios = list.flatMap((d) => d.scenarios.map((s) => ({ ...s, guardrail: d.guardrail.name })));
    for (const [i, s] of scenarios.entries()) {
      say(`[${i + 1}/${scenarios.length}] ${s.title}`);
      let events: unknown[];
      try {
        events = await s.tamper(ctx);
      } catch (error) {
        say(`  tampering call failed on the emulator: ${(error as Error).name}: ${(error as Error).message}`);
        ok = false;
        continue;
      }
      const broken = await s.check(ctx);
      say(`  tampered: ${broken ?? 'no visible change (event only)'}`);
      t = performance.now();
      const records = await runtime.controller.handleEvents(events);
      await publish(records);
      const elapsed = performance.now() - t;
      const expected = s.expect ?? ['remediated'];
      for (const r of records) {
        const good = expected.includes(r.outcome) || (r.guardrail !== s.guardrail && r.outcome === 'ignored');
        ok &&= good;
        say(`  ${good ? '✔' : '✘'} ${r.outcome} ${r.resource.type} ${r.resource.id}: ${r.reason}`);
        if (r.drift.length > 0)
          say(
            `      found: ${r.drift
              .map((d) => `${d.property} ${JSON.stringify(d.observed)} → ${JSON.stringify(d.desired)}`)
              .join('; ')
              .slice(0, 300)}`,
          );
        if (r.actions.length > 0)
          say(`      did:   ${r.actions.map((a) => `${a.api}${a.ok ? '' : ` (FAILED: ${a.error})`}`).join(', ')}`);
      }
      const after = await s.check(ctx);
      if (after) ok = false;
      say(
        `  state read back: ${after ? `STILL BROKEN: ${after}` : 'as the policy wants'}  (event in → verified state and record out: ${ms(elapsed)})`,
      );
      say();
    }

    t = performance.now();
    const scan = await runtimeFor(true).controller.sweep({
      trigger: { type: 'cli', eventId: null, eventName: 'demo final scan', actor: 'demo' },
    });
    await publish(scan);
    const drifted = scan.filter((r) => !['compliant', 'exempt', 'ignored'].includes(r.outcome));
    if (drifted.length > 0) ok = false;
    say(`final compliance (detect-only scan, ${ms(performance.now() - t)}):`);
    say(recordsTable(scan).replace(/^/gm, '  '));
    say();

    const onBus = await audit.drain();
    // The records as the bus delivered them (signed), in the order they were made.
    const byId = new Map(onBus.map((b) => [b.id, b]));
    const saved = all.flatMap((r) => byId.get(r.id) ?? []);
    if (saved.length !== all.length || onBus.length !== all.length) ok = false;
    mkdirSync(dirname(options.out), { recursive: true });
    writeFileSync(options.out, `${jsonLines(saved)}\n`);
    say(`audit: ${all.length} record(s) published, ${onBus.length} read back from the audit bus; saved to ${options.out}`);
    const forgery = await catchForgery(saved, { out: options.out, keyArn: signingKey, clients, region: DEMO_REGION });
    ok &&= forgery.ok;
    for (const line of forgery.lines) say(line);
    say(
      ok
        ? 'result: every tampering was caught and undone; everything is compliant.'
        : 'result: SOMETHING STAYED BROKEN (see above).',
    );
    if (options.json) options.write(`${jsonLines(saved)}\n`);
    return ok;
  } finally {
    await emulator.stop();
  }
}
