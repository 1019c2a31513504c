import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

/**
 * scripts/setup.sh on a copy whose npm and Python set-up are already done (stamps up to date), with
 * stand-ins for npm, python3, sudo and apt-get that only record that they were called.
 */
function preparedCopy(): { dir: string; calls: () => string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'lw-setup-'));
  for (const file of ['scripts/setup.sh', 'package.json', 'package-lock.json', 'requirements-dev.txt']) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    copyFileSync(join(ROOT, file), join(dir, file));
  }
  const hash = (files: string[]) =>
    spawnSync('bash', ['-c', `sha256sum ${files.join(' ')} | sha256sum | cut -c1-16`], {
      cwd: dir,
      encoding: 'utf8',
    }).stdout.trim();
  mkdirSync(join(dir, 'node_modules'));
  writeFileSync(join(dir, 'node_modules', '.logwarden-stamp'), `${hash(['package.json', 'package-lock.json'])}\n`);
  mkdirSync(join(dir, '.venv', 'bin'), { recursive: true });
  writeFileSync(join(dir, '.venv', 'bin', 'moto_server'), '#!/bin/sh\n');
  chmodSync(join(dir, '.venv', 'bin', 'moto_server'), 0o755);
  writeFileSync(join(dir, '.venv', '.logwarden-stamp'), `${hash(['requirements-dev.txt'])}\n`);
  const fakes = join(dir, 'fake-bin');
  mkdirSync(fakes);
  for (const tool of ['npm', 'python3', 'sudo', 'apt-get']) {
    writeFileSync(join(fakes, tool), `#!/bin/sh\necho ${tool} >> "${join(dir, 'calls.txt')}"\n`);
    chmodSync(join(fakes, tool), 0o755);
  }
  const calls = () => (existsSync(join(dir, 'calls.txt')) ? readFileSync(join(dir, 'calls.txt'), 'utf8').trim().split('\n') : []);
  return { dir, calls };
}

const setup = (dir: string, args: string[]) =>
  spawnSync('bash', ['scripts/setup.sh', ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, PATH: `${join(dir, 'fake-bin')}:${process.env.PATH}` },
  });

describe('scripts/setup.sh', () => {
  it('re-run with nothing changed and without --browser (npm run demo): installs nothing, no apt-get', () => {
    const { dir, calls } = preparedCopy();
    const res = setup(dir, []);
    expect([res.status, res.stderr]).toEqual([0, '']);
    expect(calls()).toEqual([]);
  });

  it('requirements changed: recreates .venv with progress lines on stderr, nothing on stdout', () => {
    const { dir, calls } = preparedCopy();
    writeFileSync(join(dir, 'requirements-dev.txt'), 'moto[server]==5.2.5\n');
    const res = setup(dir, []);
    expect(calls()).toContain('python3');
    expect(res.stderr).toMatch(/setup: creating the Python venv .*\nsetup: installing the AWS emulator \(moto\)/);
    expect(res.stdout).toBe('');
  });

  it('an unknown option is an error naming it (exit 2)', () => {
    const { dir } = preparedCopy();
    const res = setup(dir, ['--browsr']);
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(/unknown option --browsr \(valid: --browser\)/);
  });
});
