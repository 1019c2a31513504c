import type { Drift } from '../core/record.js';
import type { Step } from '../core/types.js';
import type { RecorderRef } from './events.js';
import type { ConfigRecorderPolicy } from './policy.js';

/**
 * The global IAM resource types: a recorder records them once per account, in one home region;
 * recorded in every region they would be recorded (and billed) again in each.
 */
const GLOBAL_RESOURCE_TYPES: readonly string[] = ['AWS::IAM::Group', 'AWS::IAM::Policy', 'AWS::IAM::Role', 'AWS::IAM::User'];
const isGlobal = (t: string) => GLOBAL_RESOURCE_TYPES.includes(t);

/** What a recorder records, as DescribeConfigurationRecorders reports it (one of the three strategies). */
export interface RecordingGroup {
  allSupported: boolean;
  includeGlobalResourceTypes: boolean;
  /** The inclusion list (empty unless that is the strategy). */
  resourceTypes: string[];
  /** The exclusion list (empty unless that is the strategy). */
  excludedResourceTypes: string[];
}

/** The region's customer-managed recorder. */
export interface RecorderSettings {
  name: string;
  roleArn: string | null;
  recordingGroup: RecordingGroup;
  /** Sent back unchanged on a rewrite: logwarden does not govern it (see the configuration page). */
  recordingMode: unknown;
}

/** The region's delivery channel (AWS allows one). */
export interface ChannelState {
  name: string;
  s3BucketName: string | null;
  s3KeyPrefix: string | null;
  snsTopicArn: string | null;
  deliveryFrequency: string | null;
  /** Not governed; kept on a rewrite. */
  s3KmsKeyArn: string | null;
}

/** DescribeConfigurationRecorderStatus: the outcome of the recorder's last delivery attempt. */
export interface LastStatus {
  status: string;
  errorCode: string | null;
  errorMessage: string | null;
}

/** What logwarden reads about a region's recording. */
export interface RecorderState {
  /** Null: no customer-managed recorder in the region (service-linked ones are not counted). */
  recorder: RecorderSettings | null;
  recording: boolean;
  /** Null: unknown, or not judged (right after logwarden's writes, it reports an attempt made before them). */
  lastStatus: LastStatus | null;
  channel: ChannelState | null;
}

/** The recording the policy wants in this region. */
type DesiredRecording = { kind: 'all'; includeGlobalResourceTypes: boolean | null } | { kind: 'list'; resourceTypes: string[] };

interface DesiredChannel {
  s3BucketName: string;
  s3KeyPrefix: string | null;
  snsTopicArn: string | null;
  deliveryFrequency: string | null;
}

export interface DesiredRecorder {
  /** The name a recorder logwarden creates gets. */
  recorderName: string;
  roleArn: string;
  recording: DesiredRecording;
  /** Does this region record the global types: yes (home region), no (another region is), null (not governed). */
  globalsHere: boolean | null;
  channel: DesiredChannel;
}

const fill = (template: string, where: { account: string; region: string }) =>
  template.replaceAll('{account}', where.account).replaceAll('{region}', where.region);

/** The desired state of one region's recorder, with the policy's templates filled in. */
export function desiredRecorder(ref: Pick<RecorderRef, 'account' | 'region'>, p: ConfigRecorderPolicy): DesiredRecorder {
  const globalsHere = p.globalResourceTypesRegion ? p.globalResourceTypesRegion === ref.region : null;
  const recording: DesiredRecording = p.allSupported
    ? { kind: 'all', includeGlobalResourceTypes: globalsHere }
    : { kind: 'list', resourceTypes: (p.resourceTypes ?? []).filter((t) => globalsHere !== false || !isGlobal(t)) };
  const c = p.deliveryChannel;
  return {
    recorderName: p.recorderName,
    roleArn: fill(p.roleArn, ref),
    recording,
    globalsHere,
    channel: {
      s3BucketName: fill(c.bucketName, ref),
      s3KeyPrefix: c.keyPrefix ?? null,
      snsTopicArn: c.snsTopicArn ? fill(c.snsTopicArn, ref) : null,
      deliveryFrequency: c.deliveryFrequency ?? null,
    },
  };
}

/** Does the observed group record this type? */
function covers(g: RecordingGroup, type: string): boolean {
  if (g.allSupported) return !isGlobal(type) || g.includeGlobalResourceTypes;
  if (g.excludedResourceTypes.length > 0) return !g.excludedResourceTypes.includes(type);
  return g.resourceTypes.includes(type);
}

const recordsGlobals = (g: RecordingGroup) => (g.allSupported && g.includeGlobalResourceTypes) || g.resourceTypes.some(isGlobal);

/** Why the observed group records less than the policy, or null. Broader recording is compliant. */
function narrowing(g: RecordingGroup, d: DesiredRecorder): string | null {
  if (d.recording.kind === 'all') {
    if (!g.allSupported) return 'records a list of resource types, or excludes some, instead of all supported types';
    if (d.globalsHere === true && !g.includeGlobalResourceTypes)
      return 'does not record the global IAM types in their home region';
    return null;
  }
  const missing = d.recording.resourceTypes.filter((t) => !covers(g, t));
  return missing.length > 0 ? `does not record ${missing.join(', ')}` : null;
}

/** The group as the diff shows it: only the fields of its strategy. */
function describeGroup(g: RecordingGroup): Record<string, unknown> {
  if (g.allSupported) return { allSupported: true, includeGlobalResourceTypes: g.includeGlobalResourceTypes };
  if (g.excludedResourceTypes.length > 0) return { allSupported: false, exclusionByResourceTypes: g.excludedResourceTypes };
  return { allSupported: false, resourceTypes: g.resourceTypes };
}

/** The group the policy wants here; what it does not govern (global types with no home region) is kept as observed. */
function desiredGroup(d: DesiredRecorder, observed: RecordingGroup | null): RecordingGroup {
  if (d.recording.kind === 'list') {
    return {
      allSupported: false,
      includeGlobalResourceTypes: false,
      resourceTypes: d.recording.resourceTypes,
      excludedResourceTypes: [],
    };
  }
  const keep = observed?.allSupported ? observed.includeGlobalResourceTypes : false;
  const includeGlobalResourceTypes = d.recording.includeGlobalResourceTypes ?? keep;
  return { allSupported: true, includeGlobalResourceTypes, resourceTypes: [], excludedResourceTypes: [] };
}

function recorderDrift(r: RecorderSettings, d: DesiredRecorder): Drift[] {
  const drift: Drift[] = [];
  const narrowed = narrowing(r.recordingGroup, d);
  if (narrowed) {
    const desired = describeGroup(desiredGroup(d, r.recordingGroup));
    drift.push({ property: 'recordingGroup', observed: { ...describeGroup(r.recordingGroup), narrowed }, desired });
  }
  if (d.globalsHere === false && recordsGlobals(r.recordingGroup)) {
    drift.push({ property: 'globalResourceTypes', observed: 'recorded here', desired: 'recorded in the home region only' });
  }
  if (r.roleArn !== d.roleArn) drift.push({ property: 'roleArn', observed: r.roleArn, desired: d.roleArn });
  return drift;
}

/** Channel settings the policy governs; a field it leaves out is not compared. */
const CHANNEL_FIELDS = ['s3BucketName', 's3KeyPrefix', 'snsTopicArn', 'deliveryFrequency'] as const;

function channelDrift(c: ChannelState | null, d: DesiredChannel): Drift[] {
  if (!c) return [{ property: 'deliveryChannel', observed: null, desired: { ...d } }];
  return CHANNEL_FIELDS.filter((f) => d[f] !== null && c[f] !== d[f]).map((f) => ({
    property: `deliveryChannel.${f}`,
    observed: c[f],
    desired: d[f],
  }));
}

const isFailure = (s: LastStatus | null) => s?.status.toUpperCase() === 'FAILURE';

/** Compare a region's recording with the policy. Pure. */
export function diffRecorder(s: RecorderState, d: DesiredRecorder): Drift[] {
  const drift: Drift[] = [];
  if (!s.recorder) drift.push({ property: 'recorderExists', observed: false, desired: true });
  else {
    drift.push(...recorderDrift(s.recorder, d));
    if (!s.recording) drift.push({ property: 'recording', observed: false, desired: true });
  }
  drift.push(...channelDrift(s.channel, d.channel));
  if (s.recorder && isFailure(s.lastStatus)) {
    const { status, errorCode, errorMessage } = s.lastStatus as LastStatus;
    drift.push({ property: 'lastStatus', observed: { lastStatus: status, errorCode, errorMessage }, desired: 'SUCCESS' });
  }
  return drift;
}

/** The recorder as PutConfigurationRecorder takes it. */
export interface RecorderInput {
  name: string;
  roleArn: string;
  recordingGroup: RecordingGroup;
  recordingMode: unknown;
}

/** The channel as PutDeliveryChannel takes it (the whole channel: the call replaces it). */
export interface ChannelInput {
  name: string;
  s3BucketName: string;
  s3KeyPrefix: string | null;
  snsTopicArn: string | null;
  deliveryFrequency: string | null;
  s3KmsKeyArn: string | null;
}

export type RecorderStep =
  | (Step & { api: 'config:PutConfigurationRecorder'; recorder: RecorderInput })
  | (Step & { api: 'config:PutDeliveryChannel'; channel: ChannelInput })
  | (Step & { api: 'config:StartConfigurationRecorder'; recorderName: string });

/** The drift one PutConfigurationRecorder fixes. */
const RECORDER_PROPS = new Set(['recordingGroup', 'globalResourceTypes', 'roleArn']);

/** The name of a channel logwarden creates: AWS's own default. */
const DEFAULT_CHANNEL = 'default';

function recorderStep(s: RecorderState, d: DesiredRecorder, drifted: ReadonlySet<string>): RecorderStep {
  const r = s.recorder;
  const regroup = !r || drifted.has('recordingGroup') || drifted.has('globalResourceTypes');
  const recorder: RecorderInput = {
    // The region's recorder is updated under its own name: a second one would be refused.
    name: r?.name ?? d.recorderName,
    roleArn: d.roleArn,
    recordingGroup: regroup ? desiredGroup(d, r?.recordingGroup ?? null) : (r?.recordingGroup as RecordingGroup),
    recordingMode: r?.recordingMode ?? null,
  };
  const what = !r ? `create recorder ${recorder.name}` : `set ${[...drifted].filter((p) => RECORDER_PROPS.has(p)).join(', ')}`;
  return { api: 'config:PutConfigurationRecorder', description: what, recorder };
}

function channelStep(c: ChannelState | null, d: DesiredChannel): RecorderStep {
  const channel: ChannelInput = {
    name: c?.name ?? DEFAULT_CHANNEL,
    s3BucketName: d.s3BucketName,
    // PutDeliveryChannel replaces the channel: what the policy does not govern is sent back as it was.
    s3KeyPrefix: d.s3KeyPrefix ?? c?.s3KeyPrefix ?? null,
    snsTopicArn: d.snsTopicArn ?? c?.snsTopicArn ?? null,
    deliveryFrequency: d.deliveryFrequency ?? c?.deliveryFrequency ?? null,
    s3KmsKeyArn: c?.s3KmsKeyArn ?? null,
  };
  const description = c
    ? `deliver to s3://${d.s3BucketName} again`
    : `create delivery channel ${channel.name} to s3://${d.s3BucketName}`;
  return { api: 'config:PutDeliveryChannel', description, channel };
}

/**
 * The writes, in the order AWS requires: the recorder (a channel needs one), the channel (starting
 * needs one), then start. Only the steps the drift needs. Pure.
 */
export function planRecorder(s: RecorderState, d: DesiredRecorder, drift: readonly Drift[]): RecorderStep[] {
  const drifted = new Set(drift.map((x) => x.property));
  const steps: RecorderStep[] = [];
  if (!s.recorder || [...RECORDER_PROPS].some((p) => drifted.has(p))) steps.push(recorderStep(s, d, drifted));
  if ([...drifted].some((p) => p === 'deliveryChannel' || p.startsWith('deliveryChannel.'))) {
    steps.push(channelStep(s.channel, d.channel));
  }
  if (!s.recorder || drifted.has('recording')) {
    const recorderName = s.recorder?.name ?? d.recorderName;
    steps.push({ api: 'config:StartConfigurationRecorder', description: `start recorder ${recorderName}`, recorderName });
  }
  return steps;
}

/**
 * Why this drift is only reported, or null. A failing recorder logwarden has nothing to write for
 * (the settings match the policy) needs a person: the role's permissions or the bucket policy are
 * wrong, and restarting would fail the same way. Other drift is remediated (the failure may be its
 * consequence) and the status is judged again on the next read. Pure.
 */
export function reportOnlyReason(s: RecorderState, drift: readonly Drift[]): string | null {
  if (drift.length === 0 || !drift.every((x) => x.property === 'lastStatus')) return null;
  const code = s.lastStatus?.errorCode ?? 'no error code';
  const message = s.lastStatus?.errorMessage ?? 'no error message';
  return `the recorder's last delivery failed (${code}: ${message.slice(0, 300)}); fix the recorder role's permissions or the bucket policy (see the runbook): restarting would fail the same way`;
}
