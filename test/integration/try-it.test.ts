/**
 * The README's "Try it on the emulator", followed literally on a copy of the repository (its tracked and
 * new files, node_modules and .venv linked as set-up leaves them, no dist/): the emulator command from
 * its block, the printed export lines taken as a user pastes them, every walkthrough line run by bash,
 * its exit code as the line's comment says, and the expected-output excerpts found in the output.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The lines of the fenced block right after `<!-- try-it: NAME -->`, indentation removed. */
function blockAfter(name: string): string[] {
  const marker = README.indexOf(`<!-- try-it: ${name} -->`);
  if (marker < 0) throw new Error(`README.md has no <!-- try-it: ${name} --> marker`);
  const fence = /```[^\n]*\n([\s\S]*?)\n\s*```/.exec(README.slice(marker));
  return (fence?.[1] ?? '').split('\n').map((line) => line.trim());
}

/** The exit code a walkthrough line's comment documents (`# exit N`), 0 when it says none. */
const documentedExit = (line: string) => Number(/#\s*exit (\d)/.exec(line)?.[1] ?? 0);

/** What a fresh clone after `npm run setup` has: the repository's files, node_modules and .venv. */
function copyOfRepository(): string {
  const copy = join(mkdtempSync(join(tmpdir(), 'lw-try-it-')), 'logwarden');
  const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  for (const file of listed.stdout.split('\0').filter((f) => f !== '' && f !== 'node_modules' && f !== '.venv')) {
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    copyFileSync(join(ROOT, file), join(copy, file));
  }
  symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
  symlinkSync(join(ROOT, '.venv'), join(copy, '.venv'));
  return copy;
}

/** Start the README's emulator command in its own process group (as a terminal does); resolve with its stdout lines. */
function startEmulatorCommand(command: string, cwd: string): Promise<{ child: ChildProcess; lines: string[] }> {
  const child = spawn('bash', ['-c', command], { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no environment lines in time: ${stdout}`)), 90_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (!stdout.includes('AWS_SECRET_ACCESS_KEY')) return;
      clearTimeout(timer);
      resolve({ child, lines: stdout.trim().split('\n') });
    });
    child.on('exit', (code) => reject(new Error(`the emulator command exited (${code}) before printing its environment`)));
  });
}

/** The variables of `export NAME=value` lines. */
const exported = (lines: string[]) =>
  Object.fromEntries(lines.map((line) => /^export (\w+)=(.*)$/.exec(line)).flatMap((m) => (m ? [[m[1], m[2]]] : [])));

const answers = async (endpoint: string) =>
  fetch(`${endpoint}/moto-api/data.json`).then(
    (res) => res.ok,
    () => false,
  );

describe('README: Try it on the emulator, followed literally', () => {
  const copy = copyOfRepository();
  let emulator: { child: ChildProcess; lines: string[] };
  let env: Record<string, string>;

  beforeAll(async () => {
    const [command] = blockAfter('emulator');
    emulator = await startEmulatorCommand(command ?? '', copy);
    env = exported(emulator.lines);
  }, 120_000);

  afterAll(() => {
    // Only when a test failed before Ctrl-C: moto must not outlive the run.
    const running = emulator?.child.exitCode === null && emulator.child.signalCode === null;
    if (running && emulator.child.pid) process.kill(-emulator.child.pid, 'SIGKILL');
  });

  it('the emulator prints the four export lines the README shows (only the port differs)', async () => {
    const shown = blockAfter('environment').map((line) => line.replace(/:\d+$/, ':PORT'));
    expect(emulator.lines.map((line) => line.replace(/:\d+$/, ':PORT'))).toEqual(shown);
    expect(await answers(env.AWS_ENDPOINT_URL ?? '')).toBe(true);
  });

  it('every walkthrough line exits as its comment says, and the output has the README excerpts', () => {
    const outputs = new Map<string, string>();
    for (const line of blockAfter('walkthrough').filter((l) => l !== '' && !l.startsWith('#'))) {
      const res = spawnSync('bash', ['-c', line], {
        cwd: copy,
        encoding: 'utf8',
        env: { ...process.env, ...env },
        timeout: 120_000,
      });
      expect([line, res.status, res.stderr]).toEqual([line, documentedExit(line), expect.any(String)]);
      outputs.set(line, (outputs.get(line) ?? '') + res.stdout);
    }
    let command = '';
    for (const line of blockAfter('output')) {
      if (line.startsWith('$ ')) command = line.slice(2);
      else expect(outputs.get(command), `${command} prints "${line}"`).toContain(line);
    }
  }, 600_000);

  it('Ctrl-C (SIGINT to its process group) stops the emulator', async () => {
    const exited = new Promise((resolve) => emulator.child.once('exit', resolve));
    process.kill(-(emulator.child.pid as number), 'SIGINT');
    await exited;
    expect(await answers(env.AWS_ENDPOINT_URL ?? '')).toBe(false);
  });
});

describe('logwarden emulator', () => {
  const logwarden = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    spawn(process.execPath, [join(ROOT, 'bin', 'logwarden.mjs'), ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  const exitOf = (child: ChildProcess) => new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  it('--port N listens there; SIGTERM stops moto and exits 0', async () => {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const child = logwarden(['emulator', '--port', String(port)]);
    const exit = exitOf(child);
    let stdout = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('AWS_SECRET_ACCESS_KEY')) resolve();
      });
      void exit.then((code) => reject(new Error(`exited ${code} before printing`)));
    });
    expect(stdout).toContain(`export AWS_ENDPOINT_URL=http://127.0.0.1:${port}\n`);
    expect(await answers(`http://127.0.0.1:${port}`)).toBe(true);
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(await answers(`http://127.0.0.1:${port}`)).toBe(false);
  }, 120_000);

  it('without moto it exits 2 and says how to install it', async () => {
    const child = logwarden(['emulator'], { LOGWARDEN_MOTO_SERVER: join(tmpdir(), 'lw-no-such-moto-server') });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    expect(await exitOf(child)).toBe(2);
    expect(stderr).toMatch(/EmulatorFailed: .*moto_server\) was not found.*pip install 'moto\[server\]==/);
  }, 60_000);

  it('--port must be a port number: a usage error, exit 2', async () => {
    const child = logwarden(['emulator', '--port', '70000']);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    expect(await exitOf(child)).toBe(2);
    expect(stderr).toMatch(/--port <n>' argument '70000' is invalid\. must be a port number from 1 to 65535/);
  }, 60_000);
});
