import { describe, expect, it } from 'vitest';
import { demo as bucketLoggingDemo } from '../../controllers/bucket-logging/demo.js';
import { ACCOUNT, REGION, useEmulator } from '../helpers/emulator.js';
import { harness } from '../helpers/harness.js';

const emu = useEmulator();

describe('bucket-logging demo scenarios on the emulator', () => {
  it.each(bucketLoggingDemo.scenarios.map((s, i) => [s.title, i] as const))('%s: tampered, then restored', async (_title, i) => {
    const scenario = bucketLoggingDemo.scenarios[i];
    if (!scenario) throw new Error(`no scenario ${i}`);
    const ctx = { account: ACCOUNT, region: REGION, clients: emu.clients() };
    await bucketLoggingDemo.prepare(ctx);
    const h = await harness(emu, [bucketLoggingDemo.guardrail], {
      'bucket-logging': bucketLoggingDemo.policySection(ctx),
    });

    const events = await scenario.tamper(ctx);
    expect(await scenario.check(ctx)).not.toBeNull();
    const records = await h.deliver(...events);

    expect(records.map((r) => r.outcome)).toEqual(['remediated']);
    expect(await scenario.check(ctx)).toBeNull();
  });

  it('the demo baseline is compliant', async () => {
    const ctx = { account: ACCOUNT, region: REGION, clients: emu.clients() };
    await bucketLoggingDemo.prepare(ctx);
    expect(await bucketLoggingDemo.scenarios[0]?.check(ctx)).toBeNull();
  });
});
