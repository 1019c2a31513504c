import type { AnyGuardrail, CloudTrailDetail, Resolution, ResourceRef } from '../core/types.js';
import type { ConfigRecorderPolicy } from './policy.js';

export const RESOURCE_TYPE = 'AWS::Config::ConfigurationRecorder';

/** The events that stop, remove, narrow or move a region's recording. Starting one never needs an answer. */
export const RECORDER_EVENTS = [
  'StopConfigurationRecorder',
  'DeleteConfigurationRecorder',
  'PutConfigurationRecorder',
  'DeleteDeliveryChannel',
  'PutDeliveryChannel',
] as const;

/** Names AWS gives service-linked recorders (owned by another AWS service, not by the account). */
const SERVICE_LINKED_PREFIX = 'AWSConfigurationRecorderFor';
const NAME = /^[\w.-]{1,256}$/;

const SAMPLE_RECORDER = 'default';
const SAMPLE_ROLE = 'arn:aws:iam::123456789012:role/aws-config-recorder';

/**
 * Plausible records of {@link RECORDER_EVENTS} (lowerCamel keys, as the AWS Config developer guide's
 * example log files show them; responses are null): Stop/Delete name `configurationRecorderName`,
 * DeleteDeliveryChannel `deliveryChannelName`; the Put calls carry the whole object as sent, with
 * `roleARN` and `snsTopicARN` spelled in capitals.
 */
export const RECORDER_EVENT_SAMPLE: AnyGuardrail['cloudTrailEvents'][number]['sample'] = {
  requestParameters: { configurationRecorderName: SAMPLE_RECORDER },
  responseElements: null,
  perEvent: {
    PutConfigurationRecorder: {
      requestParameters: {
        configurationRecorder: {
          name: SAMPLE_RECORDER,
          roleARN: SAMPLE_ROLE,
          recordingGroup: { allSupported: false, includeGlobalResourceTypes: false, resourceTypes: ['AWS::EC2::Instance'] },
        },
      },
      responseElements: null,
    },
    DeleteDeliveryChannel: { requestParameters: { deliveryChannelName: 'default' }, responseElements: null },
    PutDeliveryChannel: {
      requestParameters: {
        deliveryChannel: { name: 'default', s3BucketName: 'somewhere-else-entirely', s3KeyPrefix: 'config' },
      },
      responseElements: null,
    },
  },
};

/** The configuration recorder of one account and region: there is at most one customer-managed recorder per region. */
export interface RecorderRef extends ResourceRef {
  type: typeof RESOURCE_TYPE;
  /** The policy's `recorderName`: the region's recorder, whatever name it really has (see the state's `name`). */
  id: string;
  account: string;
}

type Where = { account: string; region: string };

/**
 * The region's recorder. Its ARN ends in an id Config draws at creation, unknown before it is read:
 * the ref carries none (exemptions name the recorder by the policy's `recorderName`).
 */
export function recorderRef(where: Where, policy: Pick<ConfigRecorderPolicy, 'recorderName'>): RecorderRef {
  return { type: RESOURCE_TYPE, id: policy.recorderName, arn: null, region: where.region, account: where.account };
}

export function isGovernedRegion(policy: Pick<ConfigRecorderPolicy, 'regions'>, region: string): boolean {
  return !policy.regions || policy.regions.includes(region);
}

function notGoverned(region: string): string {
  return `the configuration recorder is not governed in ${region} (not in the policy's config-recorder.regions)`;
}

export const isServiceLinkedName = (name: string) => name.startsWith(SERVICE_LINKED_PREFIX);

function str(from: unknown, key: string): string | null {
  if (!from || typeof from !== 'object' || Array.isArray(from)) return null;
  const v = (from as Record<string, unknown>)[key];
  return typeof v === 'string' && v.length > 0 ? v : null;
}

/** Where the event names the recorder or channel it changed. */
const NAME_AT: Record<(typeof RECORDER_EVENTS)[number], { path: string; read: (p: Record<string, unknown>) => string | null }> = {
  StopConfigurationRecorder: { path: 'configurationRecorderName', read: (p) => str(p, 'configurationRecorderName') },
  DeleteConfigurationRecorder: { path: 'configurationRecorderName', read: (p) => str(p, 'configurationRecorderName') },
  PutConfigurationRecorder: { path: 'configurationRecorder.name', read: (p) => str(p.configurationRecorder, 'name') },
  DeleteDeliveryChannel: { path: 'deliveryChannelName', read: (p) => str(p, 'deliveryChannelName') },
  PutDeliveryChannel: { path: 'deliveryChannel.name', read: (p) => str(p.deliveryChannel, 'name') },
};

const isRecorderEvent = (name: string): name is (typeof RECORDER_EVENTS)[number] => Object.hasOwn(NAME_AT, name);

/**
 * Which recorder a Config API-call event is about. Pure. Every customer-managed recorder or channel
 * event of a governed region points at the region's recorder: there is only one, and the event is
 * never trusted for its state. Service-linked recorders belong to another AWS service.
 */
export function refsFromEvent(detail: CloudTrailDetail, policy: ConfigRecorderPolicy, where: Where): Resolution<RecorderRef> {
  if (!isGovernedRegion(policy, where.region)) return { ignore: notGoverned(where.region) };
  const event = detail.eventName;
  if (!isRecorderEvent(event)) return { ignore: `the config-recorder guardrail does not handle ${event.slice(0, 100)}` };
  const params = detail.requestParameters;
  if (!params) return { ignore: `${event} event without requestParameters; cannot tell which recorder` };
  const at = NAME_AT[event];
  const name = at.read(params);
  if (!name || !NAME.test(name)) return { ignore: `${event} event without a valid requestParameters.${at.path}` };
  return refFromName(name, policy, where);
}

/** The region's recorder for a recorder or channel name, unless it names a service-linked recorder. */
export function refFromName(name: string, policy: ConfigRecorderPolicy, where: Where): Resolution<RecorderRef> {
  if (!isGovernedRegion(policy, where.region)) return { ignore: notGoverned(where.region) };
  if (!NAME.test(name)) return { ignore: `"${name.slice(0, 100)}" is not a configuration recorder name` };
  if (isServiceLinkedName(name)) {
    return {
      ignore: `${name} is a service-linked recorder: the AWS service that owns it manages it, not the account`,
      resource: { id: name },
    };
  }
  return { refs: [recorderRef(where, policy)] };
}
