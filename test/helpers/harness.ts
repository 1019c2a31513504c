import { parsePolicy } from '../../controllers/core/policy.js';
import type { AuditRecord } from '../../controllers/core/record.js';
import { createRuntime, publishAndSettle, type Runtime } from '../../controllers/core/runtime.js';
import type { AnyGuardrail } from '../../controllers/core/types.js';
import { ACCOUNT, type AuditReader, createAuditBus, quietLogger, REGION, type useEmulator } from './emulator.js';
import { policyWith } from './policy.js';

export interface Harness {
  runtime: Runtime;
  audit: AuditReader;
  /** IAM actions of every SDK call made through the runtime's clients, in order. */
  calls: string[];
  /** Deliver events as the Lambda handler does; returns the records it produced. */
  deliver(...events: unknown[]): Promise<AuditRecord[]>;
  /** The same, but collects a thrown error instead of failing. */
  deliverSettled(...events: unknown[]): Promise<{ records: AuditRecord[]; error: unknown }>;
  /** Writes among the recorded calls (anything but Get/List/Describe/Head). */
  writes(): string[];
}

/** A controller wired to the emulator with a call recorder and an audit bus read back through SQS. */
export async function harness(
  emu: ReturnType<typeof useEmulator>,
  guardrails: readonly AnyGuardrail[],
  sections: Record<string, unknown>,
  opts: { dryRun?: boolean; controller?: Parameters<typeof policyWith>[1] } = {},
): Promise<Harness> {
  const calls: string[] = [];
  const audit = await createAuditBus(emu.clients());
  const clients = emu.clients(({ action }) => calls.push(action));
  const runtime = createRuntime({
    guardrails,
    policy: parsePolicy(policyWith(sections, opts.controller), guardrails),
    account: ACCOUNT,
    region: REGION,
    logger: quietLogger(),
    clients,
    dryRun: opts.dryRun,
  });
  const deliverSettled = async (...events: unknown[]) => {
    const records = await runtime.controller.handleEvents(events);
    try {
      await publishAndSettle(runtime.sink, records);
      return { records, error: undefined };
    } catch (error) {
      return { records, error };
    }
  };
  return {
    runtime,
    audit,
    calls,
    deliverSettled,
    async deliver(...events) {
      const { records, error } = await deliverSettled(...events);
      if (error) throw error;
      return records;
    },
    writes: () => calls.filter((c) => !/:(Get|List|Describe|Head)/.test(c) && c !== 'events:PutEvents'),
  };
}
