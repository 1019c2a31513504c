import { CommanderError } from 'commander';
import { LogwardenError } from '../controllers/core/errors.js';
import { EXIT } from './exit.js';

// Results go to stdout; logs (warnings and errors only, unless LOGWARDEN_LOG_LEVEL says otherwise) go to stderr.
process.env.LOGWARDEN_LOG_LEVEL ??= 'WARN';
// The AWS SDK's own switch for its 9-line NodeVersionSupportWarning on Node 20 (engines allows >= 20; nothing to act on).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { buildProgram } = await import('./program.js');

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  process.exitCode = exitCodeOf(error);
  // Commander has already printed its usage error (or the help or version asked for, exit code 0).
  if (!(error instanceof CommanderError)) process.stderr.write(`logwarden: ${messageOf(error)}\n`);
}

function exitCodeOf(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.error;
  return EXIT.error;
}

function messageOf(error: unknown): string {
  return error instanceof LogwardenError
    ? `${error.code}: ${error.message}`
    : error instanceof Error
      ? `${error.name}: ${error.message}`
      : String(error);
}
