import type { Context } from 'aws-lambda';
import { type AuditSink, EventBridgeAuditPublisher } from '../core/audit.js';
import type { AwsClients } from '../core/aws.js';
import { invocationAccount, startLambda } from '../core/bootstrap.js';
import { errorCode, errorMessage } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { AuditRecord } from '../core/record.js';
import { HeartbeatTable, listAccounts, listStackInstances, putMissingHeartbeats } from './aws.js';
import {
  classifyInput,
  type Deployment,
  deploymentKey,
  expectedFromAccounts,
  expectedFromInstances,
  missingDeployments,
  type StoredBeat,
} from './decide.js';
import {
  type MonitorOrigin,
  malformedRecord,
  mismatchRecord,
  missingRecord,
  outsideRolloutRecord,
  unknownExpectedSetRecord,
  unreadableBeatsRecord,
} from './records.js';
import { MONITOR_SETTINGS_VARIABLE, type MonitorSettings, parseMonitorSettings } from './settings.js';

export { HEARTBEAT_EVENT_NAME, MONITOR_EVENT_NAME } from './decide.js';

/** The central function's name. */
export const MONITOR_FUNCTION_NAME = 'logwarden-heartbeat-monitor';

export interface MonitorOptions {
  settings: MonitorSettings;
  /** The policy's `controller.excludeAccounts`: never expected to beat (Organizations source). */
  excludeAccounts: readonly string[];
  /** Where the monitor runs (the central account and region). */
  account: string;
  region: string;
  clients: AwsClients;
  sink: AuditSink;
  logger: Logger;
  now?: () => Date;
}

/** What one invocation did. */
export type MonitorResult =
  | { beat: string }
  | { checked: number; missing: number; complete: boolean }
  | { reported: string }
  | { ignored: string };

/**
 * Handle one event: a member's beat (stored), a beat that cannot be counted (reported), or the
 * scheduled check (missing deployments reported, the metric put). Anything else is logged and ignored.
 */
export async function handleMonitorEvent(event: unknown, o: MonitorOptions): Promise<MonitorResult> {
  const input = classifyInput(event);
  const now = (o.now ?? (() => new Date()))();
  const origin = (eventId: string | null): MonitorOrigin => ({ account: o.account, region: o.region, eventId, now });
  switch (input.kind) {
    case 'beat':
      // Only rollout regions are ever expected; storing others would let any account grow the table.
      if (!o.settings.regions.includes(input.deployment.region)) {
        await o.sink.publish([outsideRolloutRecord(origin(input.eventId), input.deployment, o.settings.regions)]);
        return { ignored: `${input.deployment.region} is not a rollout region` };
      }
      await new HeartbeatTable(o.clients, o.region, o.settings.table).recordBeat(input.deployment, now);
      return { beat: deploymentKey(input.deployment) };
    case 'mismatch':
      await o.sink.publish([mismatchRecord(origin(input.eventId), input)]);
      return { reported: `${input.envelopeAccount} claimed ${input.claimedAccount}` };
    case 'malformed':
      await o.sink.publish([malformedRecord(origin(input.eventId), input.envelopeAccount, input.reason)]);
      return { reported: input.reason };
    case 'check':
      return check(o, origin(input.eventId));
    case 'unrecognised':
      o.logger.warn('heartbeat monitor: event ignored', { reason: input.reason });
      return { ignored: input.reason };
  }
}

type ExpectedSet = { expected: Deployment[] } | { error: string };

/** The deployments that must beat, from the configured source; a failed listing is an error value, not a throw. */
async function expectedSet(o: MonitorOptions, known: ReadonlySet<string>): Promise<ExpectedSet> {
  const { settings } = o;
  try {
    if (settings.expectedFrom === 'stackset') {
      const instances = await listStackInstances(o.clients, settings.stackSet);
      return {
        expected: expectedFromInstances(instances, {
          managementAccount: settings.managementAccount,
          regions: settings.regions,
          known,
        }),
      };
    }
    const accounts = await listAccounts(o.clients);
    return { expected: expectedFromAccounts(accounts, { regions: settings.regions, excludeAccounts: o.excludeAccounts }) };
  } catch (error) {
    return { error: `${errorCode(error)}: ${errorMessage(error)}`.slice(0, 500) };
  }
}

/**
 * The scheduled check. A complete check puts the metric (0 included); an incomplete one (beats
 * unreadable, expected set unknown) puts none, so the alarm, which treats missing data as breaching,
 * fires, and its `failed` record says why. Silent deployments among those known still get their records.
 */
async function check(o: MonitorOptions, origin: MonitorOrigin): Promise<MonitorResult> {
  let beats: StoredBeat[];
  try {
    beats = await new HeartbeatTable(o.clients, o.region, o.settings.table).readAll();
  } catch (error) {
    await publish(o, [unreadableBeatsRecord(origin, o.settings.table, `${errorCode(error)}: ${errorMessage(error)}`)]);
    return { checked: 0, missing: 0, complete: false };
  }
  const listed = await expectedSet(o, new Set(beats.map(deploymentKey)));
  const expected = 'expected' in listed ? listed.expected : beats.map((b) => ({ account: b.account, region: b.region }));
  const missing = missingDeployments({ expected, beats, now: origin.now, heartbeatMinutes: o.settings.heartbeatMinutes });
  const records = missing.map((m) => missingRecord(origin, m, o.settings.heartbeatMinutes));
  if ('error' in listed) records.push(unknownExpectedSetRecord(origin, o.settings.expectedFrom, listed.error, expected.length));
  let metricError: unknown;
  if ('expected' in listed) {
    await putMissingHeartbeats(o.clients, o.region, missing.length, origin.now).catch((e: unknown) => {
      metricError = e;
    });
  }
  await publish(o, records);
  // The records are out; a metric that did not go out still fails the invocation, so its error shows.
  if (metricError) throw metricError;
  return { checked: expected.length, missing: missing.length, complete: 'expected' in listed };
}

async function publish(o: MonitorOptions, records: readonly AuditRecord[]): Promise<void> {
  for (const record of records) o.logger.info('audit record', { record });
  if (records.length > 0) await o.sink.publish(records);
}

/**
 * The monitor's Lambda handler: the one start-up path of every logwarden function (the policy bundled
 * next to the code), then its settings from `LOGWARDEN_HEARTBEAT_MONITOR`; a bad value fails the
 * init, naming the field.
 */
export function createHeartbeatMonitorHandler() {
  const start = startLambda(MONITOR_FUNCTION_NAME, []);
  const settings = parseMonitorSettings(process.env[MONITOR_SETTINGS_VARIABLE]);
  const { clients, region, policy, logger } = start;
  const sink = new EventBridgeAuditPublisher({ clients, eventBus: policy.audit.eventBus, region, logger });
  return async (event: unknown, context?: Partial<Context>): Promise<MonitorResult> => {
    const account = invocationAccount(start, context);
    const excludeAccounts = policy.controller.excludeAccounts;
    const result = await handleMonitorEvent(event, { settings, excludeAccounts, account, region, clients, sink, logger });
    logger.info('heartbeat monitor', { result });
    return result;
  };
}
