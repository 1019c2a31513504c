import { LogwardenError } from '../controllers/core/errors.js';

// Results go to stdout; logs (warnings and errors only, unless LOGWARDEN_LOG_LEVEL says otherwise) go to stderr.
process.env.LOGWARDEN_LOG_LEVEL ??= 'WARN';

const { buildProgram, EXIT } = await import('./program.js');

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  const message =
    error instanceof LogwardenError
      ? `${error.code}: ${error.message}`
      : error instanceof Error
        ? `${error.name}: ${error.message}`
        : String(error);
  process.stderr.write(`logwarden: ${message}\n`);
  process.exitCode = EXIT.error;
}
