import { CloudWatchLogsClient, FilterLogEventsCommand, type FilterLogEventsCommandOutput } from '@aws-sdk/client-cloudwatch-logs';
import type { AwsClients } from '../../../controllers/core/aws.js';
import { errorCode } from '../../../controllers/core/errors.js';
import { AuditSourceError } from '../errors.js';
import type { RawItem } from '../parse.js';
import { splitDocuments } from '../parse.js';
import type { AuditSource, PositionListener, ReadWindow } from './types.js';

/**
 * The central CloudWatch Logs group, an EventBridge rule target: each log event's message is the
 * whole EventBridge event, the record in `detail`. The time window is passed to FilterLogEvents
 * (the log event's timestamp is the event's time, which is the record's time).
 */
export class LogGroupSource implements AuditSource {
  readonly name: string;
  constructor(
    private readonly clients: AwsClients,
    private readonly region: string,
    private readonly logGroup: string,
  ) {
    this.name = `logs://${logGroup}`;
  }

  async *items(window: ReadWindow, onPosition?: PositionListener): AsyncIterable<RawItem> {
    const logs = this.clients.get(CloudWatchLogsClient, this.region);
    let nextToken: string | undefined;
    let page = 0;
    do {
      page++;
      onPosition?.(`${this.name}: page ${page}`);
      let res: FilterLogEventsCommandOutput;
      try {
        res = await logs.send(
          new FilterLogEventsCommand({
            logGroupName: this.logGroup,
            startTime: window.since?.getTime(),
            // endTime is inclusive in the API; the filters apply the exclusive bound.
            endTime: window.until?.getTime(),
            nextToken,
          }),
        );
      } catch (cause) {
        throw new AuditSourceError(this.name, `FilterLogEvents failed: ${errorCode(cause)}: ${(cause as Error).message}`, {
          cause,
        });
      }
      for (const e of res.events ?? []) {
        const where = `${this.name}/${e.logStreamName ?? '?'}#${e.eventId ?? '?'}`;
        const docs = splitDocuments(e.message ?? '');
        if (docs.length === 0) yield { text: '', location: where };
        for (const text of docs) yield { text, location: where };
      }
      nextToken = res.nextToken;
    } while (nextToken);
  }
}
