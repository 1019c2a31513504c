import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDemo } from '../../cli/demo/index.js';
import { demo as guarddutyDemo } from '../../controllers/guardduty/demo.js';

const dir = mkdtempSync(join(tmpdir(), 'logwarden-gd-demo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('GuardDuty demo scenarios on the emulator', () => {
  it('baseline, detector deleted, suspended, plan off, archive filter: each caught, state read back compliant', async () => {
    let text = '';
    const ok = await runDemo({
      json: false,
      out: join(dir, 'audit.jsonl'),
      write: (s) => {
        text += s;
      },
      demos: [guarddutyDemo],
    });
    expect(text).not.toContain('✘');
    expect(text).not.toContain('STILL BROKEN');
    expect(text).toContain('drift-detected AWS::GuardDuty::Filter quiet-please');
    expect(ok).toBe(true);
  }, 60_000);
});
