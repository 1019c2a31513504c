import { LogwardenError } from '../controllers/core/errors.js';
import { startEmulator } from './emulator.js';
import { EXIT } from './exit.js';

/**
 * `logwarden emulator`: the pinned AWS emulator (moto) for users, in the foreground. cli/program.ts
 * imports this module only when the command runs.
 */

/** The region the walkthrough and the example emulator policy use. */
const EMULATOR_REGION = 'us-east-1';
/** moto accepts any credentials; the SDK still needs some to sign its requests. */
const DUMMY_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/** The shell lines that point the SDK (and so every logwarden command) at the emulator. Pure. */
export function environmentLines(endpoint: string): string[] {
  return [
    `export AWS_ENDPOINT_URL=${endpoint}`,
    `export AWS_REGION=${EMULATOR_REGION}`,
    `export AWS_ACCESS_KEY_ID=${DUMMY_CREDENTIALS.accessKeyId}`,
    `export AWS_SECRET_ACCESS_KEY=${DUMMY_CREDENTIALS.secretAccessKey}`,
  ];
}

/** Resolves with the name of the first of SIGINT or SIGTERM this process receives. */
function nextStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stopOn = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stopOn);
      process.off('SIGTERM', stopOn);
      resolve(signal);
    };
    process.on('SIGINT', stopOn);
    process.on('SIGTERM', stopOn);
  });
}

/**
 * Start moto, print the environment lines on stdout (so `> file` then `source file` works) and the
 * notes on stderr, then wait for Ctrl-C or SIGTERM and stop moto. moto dying on its own is an error.
 */
export async function emulatorAction(options: { port?: number }): Promise<void> {
  const emulator = await startEmulator({ port: options.port });
  const stopSignal = nextStopSignal();
  process.stdout.write(`${environmentLines(emulator.endpoint).join('\n')}\n`);
  process.stderr.write(
    [
      `logwarden emulator: moto is listening on ${emulator.endpoint} (account 123456789012).`,
      'The credentials above are dummies: the emulator accepts any, and nothing reaches AWS.',
      'Paste the export lines into the shell that runs logwarden; Ctrl-C stops the emulator and forgets every resource.',
      '',
    ].join('\n'),
  );
  const ended = await Promise.race([stopSignal.then(() => 'signal' as const), emulator.exited.then(() => 'moto' as const)]);
  if (ended === 'moto' && !(await signalledWithin(stopSignal, SIGNAL_GRACE_MS))) {
    throw new LogwardenError('EmulatorFailed', `moto_server on ${emulator.endpoint} exited unexpectedly`);
  }
  await emulator.stop();
  process.exitCode = EXIT.ok;
}

/**
 * Ctrl-C in a terminal signals the whole process group, moto included, so moto may exit just before
 * our own handler runs: a signal arriving this soon after moto's exit means a requested stop.
 */
const SIGNAL_GRACE_MS = 500;

async function signalledWithin(stopSignal: Promise<NodeJS.Signals>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const signalled = await Promise.race([stopSignal.then(() => true as const), timeout]);
  clearTimeout(timer);
  return signalled;
}
