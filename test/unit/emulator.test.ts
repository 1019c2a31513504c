import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findMotoServer, MOTO_REQUIREMENT, startEmulator } from '../../cli/emulator.js';

const ROOT = join(import.meta.dirname, '..', '..');

/** A directory holding an executable file named moto_server. */
function fakeMotoDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lw-moto-'));
  writeFileSync(join(dir, 'moto_server'), '#!/bin/sh\nexit 1\n');
  chmodSync(join(dir, 'moto_server'), 0o755);
  return dir;
}

describe('finding the emulator (moto_server)', () => {
  const saved = process.env.LOGWARDEN_MOTO_SERVER;
  afterEach(() => {
    if (saved === undefined) delete process.env.LOGWARDEN_MOTO_SERVER;
    else process.env.LOGWARDEN_MOTO_SERVER = saved;
  });

  it('the version the error message recommends is the one the tests run (requirements-dev.txt)', () => {
    expect(readFileSync(join(ROOT, 'requirements-dev.txt'), 'utf8').split('\n')).toContain(MOTO_REQUIREMENT);
  });

  it('LOGWARDEN_MOTO_SERVER wins; a path that does not exist finds nothing', () => {
    const dir = fakeMotoDir();
    expect(findMotoServer({ LOGWARDEN_MOTO_SERVER: join(dir, 'moto_server'), PATH: '' })).toBe(join(dir, 'moto_server'));
    expect(findMotoServer({ LOGWARDEN_MOTO_SERVER: join(dir, 'nothing-here'), PATH: dir })).toBeNull();
  });

  it('outside the project .venv, moto_server is taken from PATH', () => {
    const dir = fakeMotoDir();
    const found = findMotoServer({ PATH: ['/nonexistent', dir].join(delimiter) });
    // In a clone after `npm run setup` the project's .venv comes first.
    expect([join(ROOT, '.venv', 'bin', 'moto_server'), join(dir, 'moto_server')]).toContain(found);
  });

  it('when it is missing, the error says how to install it', async () => {
    process.env.LOGWARDEN_MOTO_SERVER = join(tmpdir(), 'lw-no-such-moto-server');
    const start = startEmulator();
    await expect(start).rejects.toMatchObject({ code: 'EmulatorFailed' });
    await expect(start).rejects.toThrow(/npm run setup.*pip install 'moto\[server\]==.*LOGWARDEN_MOTO_SERVER=/);
  });
});
