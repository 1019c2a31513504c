import { createReadStream, type ReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { AuditSourceError } from '../errors.js';
import type { RawItem } from '../parse.js';
import { splitDocuments } from '../parse.js';
import type { AuditSource, PositionListener } from './types.js';

async function isGzip(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const magic = Buffer.alloc(2);
    const { bytesRead } = await handle.read(magic, 0, 2, 0);
    return bytesRead === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

/**
 * A local file of JSON lines (what `demo`, `handle` and `scan --json` write), plain or gzip (an
 * object copied from the S3 archive), or standard input for `-`. Read as a stream: a large file is
 * never held in memory whole.
 */
export class FileSource implements AuditSource {
  constructor(
    readonly name: string,
    private readonly stdin: Readable = process.stdin,
  ) {}

  async *items(_window: unknown, onPosition?: PositionListener): AsyncIterable<RawItem> {
    const label = this.name === '-' ? 'stdin' : this.name;
    let input: Readable;
    if (this.name === '-') {
      input = this.stdin;
    } else {
      let gzip: boolean;
      try {
        gzip = await isGzip(this.name);
      } catch (cause) {
        throw new AuditSourceError(this.name, `cannot read: ${(cause as Error).message}`, { cause });
      }
      const file: ReadStream = createReadStream(this.name);
      input = gzip ? file.pipe(createGunzip()) : file;
      if (gzip) file.on('error', (error) => input.destroy(error));
    }
    const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
    let lineNumber = 0;
    try {
      for await (const line of lines) {
        lineNumber++;
        if (onPosition && lineNumber % 10_000 === 0) onPosition(`${label}: line ${lineNumber}`);
        const docs = splitDocuments(line);
        if (docs.length === 1) yield { text: docs[0] as string, location: `${label}:${lineNumber}` };
        else for (const [docIndex, text] of docs.entries()) yield { text, location: `${label}:${lineNumber}#${docIndex + 1}` };
      }
    } catch (cause) {
      throw new AuditSourceError(this.name, `read failed at line ${lineNumber}: ${(cause as Error).message}`, { cause });
    }
  }
}
