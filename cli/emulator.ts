import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LogwardenError } from '../controllers/core/errors.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** moto's server, installed into the project's venv by scripts/setup.sh. */
const MOTO_SERVER = join(ROOT, '.venv', 'bin', 'moto_server');

class EmulatorError extends LogwardenError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('EmulatorFailed', message, options);
  }
}

/** A free TCP port on the loopback interface. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface Emulator {
  endpoint: string;
  /** Forget every resource (POST /moto-api/reset). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/** Start moto in server mode on a free loopback port and wait until it answers. */
export async function startEmulator(options: { timeoutMs?: number } = {}): Promise<Emulator> {
  if (!existsSync(MOTO_SERVER)) {
    throw new EmulatorError(`${MOTO_SERVER} not found: run "npm run setup" (scripts/setup.sh) to install the emulator`);
  }
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(MOTO_SERVER, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, MOTO_ALLOW_NONEXISTENT_REGION: 'true' },
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    if (exited) throw new EmulatorError(`moto_server exited during start-up: ${stderr}`);
    try {
      const res = await fetch(`${endpoint}/moto-api/data.json`);
      if (res.ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new EmulatorError(`moto_server did not answer on ${endpoint} in time: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    endpoint,
    async reset() {
      const res = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!res.ok) throw new EmulatorError(`emulator reset failed: HTTP ${res.status}`);
    },
    stop() {
      return new Promise<void>((resolve) => {
        if (exited) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      });
    },
  };
}
