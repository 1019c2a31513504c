import type { Guardrail } from '../core/types.js';
import { applyRecorderStep, observeRecorder } from './aws.js';
import {
  type DesiredRecorder,
  desiredRecorder,
  diffRecorder,
  planRecorder,
  type RecorderState,
  type RecorderStep,
  reportOnlyReason,
} from './diff.js';
import {
  isGovernedRegion,
  RECORDER_EVENT_SAMPLE,
  RECORDER_EVENTS,
  RESOURCE_TYPE,
  type RecorderRef,
  recorderRef,
  refFromName,
  refsFromEvent,
} from './events.js';
import { type ConfigRecorderPolicy, configRecorderPolicySchema } from './policy.js';

/**
 * AWS Config recorder guardrail: every governed region has a customer-managed configuration recorder
 * that is recording, with the policy's recording group, role and global-types home region, and a
 * delivery channel to the policy's bucket (prefix, SNS topic and frequency when the policy names
 * them). A recorder whose last delivery failed is reported for a person to fix.
 *
 * @example
 * // policy.guardrails["config-recorder"]
 * { "mode": "remediate", "roleArn": "arn:aws:iam::{account}:role/aws-config-recorder",
 *   "globalResourceTypesRegion": "us-east-1", "deliveryChannel": { "bucketName": "central-config-logs", "keyPrefix": "config" } }
 */
export const configRecorder: Guardrail<ConfigRecorderPolicy, RecorderRef, RecorderState, DesiredRecorder, RecorderStep> = {
  name: 'config-recorder',
  title: 'AWS Config keeps recording every region',
  resourceType: RESOURCE_TYPE,
  runbook: 'runbooks/config-recorder.md',
  policySchema: configRecorderPolicySchema,
  // No recorder, not recording, no channel, or a channel delivering to a bucket other than the policy's:
  // the central archive receives nothing. Role, recording group, prefix, topic and frequency are settings.
  loggingOffDrift: ['recorderExists', 'recording', 'deliveryChannel', 'deliveryChannel.s3BucketName'],
  iamActions: [
    'config:DescribeConfigurationRecorders',
    'config:DescribeConfigurationRecorderStatus',
    'config:DescribeDeliveryChannels',
    'config:PutConfigurationRecorder',
    'config:PutDeliveryChannel',
    'config:StartConfigurationRecorder',
  ],
  unscopedActions: [
    {
      actions: [
        'config:DescribeConfigurationRecorders',
        'config:DescribeConfigurationRecorderStatus',
        'config:DescribeDeliveryChannels',
      ],
      why: 'reads of the one recorder and channel of the account and region',
    },
    {
      actions: ['config:PutConfigurationRecorder', 'config:StartConfigurationRecorder', 'config:PutDeliveryChannel'],
      why:
        'the delivery channel has no resource-level permissions, and a recorder ARN holds an id AWS Config generates; ' +
        'there is one recorder and one channel per account and region, and the role they pass is scoped (iam:PassRole)',
    },
  ],
  // PutConfigurationRecorder passes the recorder role to AWS Config: on that role only.
  scopedPermissions: (policy) => [
    {
      actions: ['iam:PassRole'],
      resources: [policy.roleArn.replaceAll('{account}', '*')],
      passedToService: 'config.amazonaws.com',
    },
  ],
  // A stopped recorder silences every Config rule, including logwarden's own: sweep it as often as CloudTrail.
  sweepSchedule: 'rate(15 minutes)',
  cloudTrailEvents: [{ source: 'aws.config', eventNames: RECORDER_EVENTS, sample: RECORDER_EVENT_SAMPLE }],
  refsFromCloudTrail: (detail, scope) => refsFromEvent(detail, scope.policy, scope),
  refFromResourceId: (id, scope) => refFromName(id, scope.policy, scope),
  listRefs: async (scope) => ({ refs: isGovernedRegion(scope.policy, scope.region) ? [recorderRef(scope, scope.policy)] : [] }),
  desired: (ref, policy) => desiredRecorder(ref, policy),
  observe: observeRecorder,
  // Recorder tags are not read: they never exempt (exemptions are in the policy), and reading them costs a call.
  tagsOf: () => ({}),
  reportOnly: (_ref, state, drift) => reportOnlyReason(state, drift),
  diff: diffRecorder,
  plan: planRecorder,
  apply: applyRecorderStep,
};
