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

/**
 * Another controller on the same emulator (as another Lambda container with another policy or clock
 * would be): no audit bus, no call recorder.
 */
export function controllerOn(
  emu: ReturnType<typeof useEmulator>,
  guardrails: readonly AnyGuardrail[],
  sections: Record<string, unknown>,
  opts: { exemptions?: unknown[]; now?: () => Date } = {},
): Runtime['controller'] {
  return createRuntime({
    guardrails,
    policy: parsePolicy({ ...policyWith(sections), exemptions: opts.exemptions ?? [] }, guardrails),
    account: ACCOUNT,
    region: REGION,
    logger: quietLogger(),
    clients: emu.clients(),
    now: opts.now,
  }).controller;
}

/** A controller wired to the emulator with a call recorder and an audit bus read back through SQS. */
export async function harness(
  emu: ReturnType<typeof useEmulator>,
  guardrails: readonly AnyGuardrail[],
  sections: Record<string, unknown>,
  opts: {
    dryRun?: boolean;
    controller?: Parameters<typeof policyWith>[1];
    /** The policy's `exemptions`. */
    exemptions?: unknown[];
    /** The controller's clock (the policy is loaded at the real time). */
    now?: () => Date;
  } = {},
): Promise<Harness> {
  const calls: string[] = [];
  const audit = await createAuditBus(emu.clients());
  const clients = emu.clients(({ action }) => calls.push(action));
  const runtime = createRuntime({
    guardrails,
    policy: parsePolicy({ ...policyWith(sections, opts.controller), exemptions: opts.exemptions ?? [] }, guardrails),
    account: ACCOUNT,
    region: REGION,
    logger: quietLogger(),
    clients,
    dryRun: opts.dryRun,
    now: opts.now,
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
