import { Readable } from 'node:stream';
import { Command } from 'commander';
import { type AuditIo, registerAuditCommand } from '../../cli/audit/command.js';
import type { AwsClients } from '../../controllers/core/aws.js';
import type { AuditRecord } from '../../controllers/core/record.js';

/** Run `logwarden audit ...args` in process, capturing stdout, stderr and the exit code. */
export async function runAudit(
  args: string[],
  opts: { stdin?: string; isTTY?: boolean; now?: () => Date; clients?: AwsClients } = {},
): Promise<{ out: string; err: string; code: number | undefined }> {
  let out = '';
  let err = '';
  let code: number | undefined;
  const io: AuditIo = {
    out: (s) => {
      out += s;
    },
    err: (s) => {
      err += s;
    },
    isTTY: opts.isTTY ?? false,
    now: opts.now ?? (() => new Date()),
    stdin: opts.stdin !== undefined ? Readable.from([opts.stdin]) : undefined,
    clients: opts.clients,
    setExitCode: (c) => {
      code = c;
    },
  };
  const program = new Command('logwarden').exitOverride();
  registerAuditCommand(program, io);
  await program.parseAsync(['node', 'logwarden', 'audit', ...args]);
  return { out, err, code };
}

/** JSON lines printed by `--json`, as records. */
export const jsonRecords = (text: string): AuditRecord[] =>
  text
    .trim()
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as AuditRecord);
