import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDemo } from '../../cli/demo/index.js';
import { demo as integrityDemo } from '../../controllers/integrity/demo.js';

const dir = mkdtempSync(join(tmpdir(), 'logwarden-integrity-demo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('integrity demo scenarios on the emulator', () => {
  it('rule disabled, target removed, pattern changed, log delivery denied: each restored, read back as deployed', async () => {
    let text = '';
    const ok = await runDemo({
      json: false,
      out: join(dir, 'audit.jsonl'),
      write: (s) => {
        text += s;
      },
      demos: [integrityDemo],
    });
    expect(text).not.toContain('✘');
    expect(text).not.toContain('STILL BROKEN');
    expect(text).toContain('remediated AWS::Events::Rule');
    expect(text).toContain('remediated AWS::S3::BucketPolicy');
    expect(ok).toBe(true);
  }, 60_000);
});
