import { CloudWatchLogsClient, FilterLogEventsCommand, type FilterLogEventsCommandOutput } from '@aws-sdk/client-cloudwatch-logs';
import type { AwsClients } from '../../../controllers/core/aws.js';
import { errorCode } from '../../../controllers/core/errors.js';
import { AuditSourceError } from '../errors.js';
import type { RawItem } from '../parse.js';
import { splitDocuments } from '../parse.js';
import type { AuditSource, PositionListener, ReadWindow } from './types.js';

/**
 * Slack on the time window passed to FilterLogEvents: EventBridge keeps whole seconds of the event
 * time, and a target may stamp the arrival time instead. The filters apply the exact window.
 */
const WINDOW_SLACK_MS = 5 * 60_000;

/**
 * The central CloudWatch Logs group, an EventBridge rule target: each log event's message is the
 * whole EventBridge event, the record in `detail`. The time window is passed to FilterLogEvents
 * (the log event's timestamp is the event's time, which is the record's time, to the second).
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
            startTime: window.since ? window.since.getTime() - WINDOW_SLACK_MS : undefined,
            endTime: window.until ? window.until.getTime() + WINDOW_SLACK_MS : undefined,
            nextToken,
          }),
        );
      } catch (cause) {
        throw new AuditSourceError(this.name, `FilterLogEvents failed: ${errorCode(cause)}: ${(cause as Error).message}`, {
          cause,
        });
      }
      for (const logEvent of res.events ?? []) {
        const where = `${this.name}/${logEvent.logStreamName ?? '?'}#${logEvent.eventId ?? '?'}`;
        const docs = splitDocuments(logEvent.message ?? '');
        if (docs.length === 0) yield { text: '', location: where };
        for (const text of docs) yield { text, location: where };
      }
      nextToken = res.nextToken;
    } while (nextToken);
  }
}
