/**
 * Duplicates and concurrency on the emulator. EventBridge delivers at least once and Lambda runs
 * invocations in parallel: the same event delivered 10 times at once, each through its own runtime
 * (its own SDK clients and audit publisher, as separate Lambda instances would have), must end in the
 * correct state, no duplicate resource, one audit record per delivery, and one remediation.
 */
import { describe, expect, it } from 'vitest';
import type { AwsClients } from '../../controllers/core/aws.js';
import { MemoryLeaseStore } from '../../controllers/core/lease.js';
import type { AuditRecord } from '../../controllers/core/record.js';
import { createRuntime } from '../../controllers/core/runtime.js';
import { ACCOUNT, createAuditBus, quietLogger, REGION, useEmulator } from '../helpers/emulator.js';
import { deliverWithRedelivery, demoContext, demoPolicy, demoSuites, errorText, writesOf } from './support.js';

const emu = useEmulator();
const COPIES = 10;

describe.each(await demoSuites())('%s: the same event delivered 10× concurrently', (_name, demo) => {
  it('every scenario: correct state, no duplicate, one record per delivery, one remediation', async () => {
    const policy = demoPolicy([demo]);
    const setup = emu.clients();
    const ctx = demoContext(setup);
    const audit = await createAuditBus(setup);
    // One lease table shared by every instance, as the DynamoDB state table is.
    const leases = new MemoryLeaseStore();
    const runtimeWith = (clients: AwsClients) =>
      createRuntime({
        guardrails: [demo.guardrail],
        policy,
        account: ACCOUNT,
        region: REGION,
        logger: quietLogger(),
        clients,
        leaseStore: leases,
      });

    // Baseline: the infrastructure's resources, then one sweep brings everything to the policy.
    await demo.prepare(ctx);
    const baseline = await runtimeWith(setup).controller.sweep({
      trigger: { type: 'cli', eventId: null, eventName: 'baseline', actor: 'test' },
    });
    expect(baseline.filter((r) => r.outcome === 'failed')).toEqual([]);
    await audit.drain();

    for (const scenario of demo.scenarios) {
      const events = await scenario.tamper(ctx);
      expect(events).toHaveLength(1);
      const calls: string[][] = Array.from({ length: COPIES }, () => []);
      const runtimes = calls.map((c) => runtimeWith(emu.clients(({ action }) => c.push(action))));

      const deliveries = await Promise.all(runtimes.map((rt) => deliverWithRedelivery(rt, events[0])));

      // Correct state, read back from the emulator.
      expect(await scenario.check(ctx), scenario.title).toBeNull();
      expect(await demo.duplicates(ctx), scenario.title).toEqual([]);
      // One record per delivery (per resource the event names), none failed, all on the bus once.
      const perDelivery = deliveries[0]?.last.length ?? 0;
      expect(perDelivery, scenario.title).toBeGreaterThanOrEqual(1);
      for (const d of deliveries) {
        expect(errorText(d.error), scenario.title).toBeUndefined();
        expect(d.attempts, scenario.title).toBe(1);
        expect(d.last, scenario.title).toHaveLength(perDelivery);
      }
      const all: AuditRecord[] = deliveries.flatMap((d) => d.records);
      const expected = scenario.expect ?? ['remediated'];
      const outcomes = all.map((r) => r.outcome);
      expect(
        outcomes.every((o) => o === 'compliant' || expected.includes(o)),
        `${scenario.title}: ${outcomes.join(',')}`,
      ).toBe(true);
      const onBus = await audit.drain();
      expect(onBus.map((r) => r.id).sort(), scenario.title).toEqual(all.map((r) => r.id).sort());
      // One remediation per resource: among all deliveries, each resource is remediated once, and every
      // write recorded on the wire is an action of those remediations (the others waited for the lease
      // and found the resource compliant).
      const writes = calls.flatMap(writesOf);
      const remediated = all.filter((r) => r.outcome === 'remediated');
      if (expected.includes('remediated')) {
        expect(remediated.length, `${scenario.title}: ${outcomes.join(',')}`).toBe(perDelivery);
        expect(new Set(remediated.map((r) => r.resource.id)).size, scenario.title).toBe(perDelivery);
        expect(writes.sort(), scenario.title).toEqual(remediated.flatMap((r) => r.actions.map((a) => a.api)).sort());
      } else {
        expect(writes, scenario.title).toEqual([]);
      }
      console.info(
        `duplicates figures: ${JSON.stringify({
          scenario: scenario.title,
          deliveries: COPIES,
          records: all.length,
          outcomes: Object.fromEntries([...new Set(outcomes)].map((o) => [o, outcomes.filter((x) => x === o).length])),
          writingDeliveries: calls.filter((c) => writesOf(c).length > 0).length,
          writes,
          apiCalls: calls.reduce((n, c) => n + c.length, 0),
        })}`,
      );
    }
  });
});
