import type { RawItem } from '../parse.js';

/** The time window a source may use to read less; the filters still check every record. */
export interface ReadWindow {
  since?: Date;
  until?: Date;
}

/** Called by a source when it moves on (next object, next page, next shard) so long reads can show progress. */
export type PositionListener = (position: string) => void;

/** Where audit records are read from. */
export interface AuditSource {
  /** The source as the user would write it: `.demo/audit.jsonl`, `logs://group`, `s3://bucket/prefix`, `kinesis://stream`. */
  readonly name: string;
  items(window: ReadWindow, onPosition?: PositionListener): AsyncIterable<RawItem>;
}
