import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LogwardenError } from '../controllers/core/errors.js';

/** The package's root: one directory up from cli/ (run from source) and from dist/ (the built CLI). */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** moto's server, installed into the project's venv by scripts/setup.sh (in a clone). */
const PROJECT_MOTO_SERVER = join(ROOT, '.venv', 'bin', 'moto_server');
/** The emulator version the tests run (requirements-dev.txt; test/unit/emulator.test.ts keeps them equal). */
export const MOTO_REQUIREMENT = 'moto[server]==5.2.5';

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
  /** Settles when moto_server exits, whoever stopped it (a foreground `logwarden emulator` ends with it). */
  exited: Promise<void>;
}

/**
 * Where moto_server is: $LOGWARDEN_MOTO_SERVER, else the project's .venv (a clone after `npm run setup`),
 * else the first on PATH (an installed package). Null when none exists.
 */
export function findMotoServer(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.LOGWARDEN_MOTO_SERVER) return existsSync(env.LOGWARDEN_MOTO_SERVER) ? env.LOGWARDEN_MOTO_SERVER : null;
  const onPath = (env.PATH ?? '').split(delimiter).filter((dir) => dir !== '');
  const candidates = [PROJECT_MOTO_SERVER, ...onPath.map((dir) => join(dir, 'moto_server'))];
  return candidates.find((file) => existsSync(file)) ?? null;
}

/** How to get the emulator, for the error when it is missing. */
function motoMissingMessage(env: NodeJS.ProcessEnv): string {
  const looked = env.LOGWARDEN_MOTO_SERVER
    ? `LOGWARDEN_MOTO_SERVER=${env.LOGWARDEN_MOTO_SERVER}`
    : `${PROJECT_MOTO_SERVER} or PATH`;
  return [
    `the AWS emulator (moto_server) was not found (looked at ${looked}).`,
    'In a clone of the repository: npm run setup.',
    `Otherwise, with Python >= 3.10: python3 -m venv ~/.logwarden-moto && ~/.logwarden-moto/bin/pip install '${MOTO_REQUIREMENT}',`,
    'then set LOGWARDEN_MOTO_SERVER=~/.logwarden-moto/bin/moto_server (or put moto_server on PATH).',
  ].join(' ');
}

/** Start moto in server mode on a loopback port (default: a free one) and wait until it answers. */
export async function startEmulator(options: { timeoutMs?: number; port?: number } = {}): Promise<Emulator> {
  const motoServer = findMotoServer();
  if (!motoServer) throw new EmulatorError(motoMissingMessage(process.env));
  const port = options.port ?? (await freePort());
  const endpoint = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(motoServer, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, MOTO_ALLOW_NONEXISTENT_REGION: 'true' },
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) =>
    child.on('exit', () => {
      exited = true;
      resolve();
    }),
  );
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
    exited: exitedPromise,
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
