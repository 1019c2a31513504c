import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../infra/config.js';
import { synthExample } from '../../infra/testing.js';

const VENV = join(ROOT, '.venv', 'bin');
let outdir: string;
let templates: string[];

beforeAll(async () => {
  outdir = (await synthExample({ nag: false })).outdir;
  const list = (dir: string) =>
    readdirSync(dir)
      .filter((f) => f.endsWith('.template.json'))
      .map((f) => join(dir, f));
  templates = [...list(outdir), ...list(join(outdir, 'stackset-template'))];
}, 240_000);

describe('linters over the synthesized templates', () => {
  it('cfn-lint reports no error in any template (warnings allowed)', () => {
    expect(existsSync(join(VENV, 'cfn-lint')), 'run scripts/setup.sh: cfn-lint comes from requirements-dev.txt').toBe(true);
    // Central, two asset buckets, rollout, SCP, log archive, two management-account members and the StackSet template.
    expect(templates.length).toBe(9);
    const run = spawnSync(join(VENV, 'cfn-lint'), ['--format', 'parseable', ...templates], { encoding: 'utf8' });
    // cfn-lint's exit code is a bit mask: 2 = errors, 4 = warnings, 8 = informational.
    const errors = run.stdout.split('\n').filter((l) => /:E\d{4}:/.test(l));
    expect(errors).toEqual([]);
    expect(run.status !== null && (run.status & 2) === 0, run.stderr).toBe(true);
  });

  it('checkov: every failed check has a written justification, and every justification is still needed', () => {
    expect(existsSync(join(VENV, 'checkov')), 'run scripts/setup.sh: checkov comes from requirements-dev.txt').toBe(true);
    const justifications = JSON.parse(readFileSync(join(ROOT, 'infra', 'checkov-justifications.json'), 'utf8')) as Record<
      string,
      string
    >;
    const run = spawnSync(
      join(VENV, 'checkov'),
      ['-d', outdir, '--framework', 'cloudformation', '--quiet', '--compact', '-o', 'json', '--skip-download'],
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );
    const parsed = JSON.parse(run.stdout) as unknown;
    const reports = (Array.isArray(parsed) ? parsed : [parsed]) as {
      results: { failed_checks: { check_id: string; resource: string; file_path: string }[] };
    }[];
    const failed = reports.flatMap((r) => r.results.failed_checks);
    expect(reports.length).toBeGreaterThan(0);
    const unjustified = failed
      .filter((f) => !(justifications[f.check_id]?.length ?? 0))
      .map((f) => `${f.check_id} ${f.resource} ${f.file_path}`);
    expect(unjustified).toEqual([]);
    const used = new Set(failed.map((f) => f.check_id));
    expect(Object.keys(justifications).filter((id) => !used.has(id))).toEqual([]);
    for (const reason of Object.values(justifications)) expect(reason.length).toBeGreaterThan(80);
  });
});
