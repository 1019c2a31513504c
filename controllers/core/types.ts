import type { z } from 'zod';
import type { AwsClients } from './aws.js';
import type { Logger } from './log.js';
import type { Drift } from './record.js';

/** Per-guardrail mode: `remediate` fixes drift, `notify` only reports it. */
type Mode = 'remediate' | 'notify';

/**
 * Why a resource is observed: to `decide` (the whole state, exemption tags included), or to `verify`
 * the writes just made. For `verify`, `before` is the state the decision saw and `steps` the writes
 * that succeeded: a guardrail re-reads only what those writes can change and keeps the rest of
 * `before` (exemption tags, ownership, untouched settings).
 */
export type Observation<S, A> = { purpose: 'decide' } | { purpose: 'verify'; before: S; steps: readonly A[] };

/** What earlier writes of one remediation produced for later ones (e.g. the id of a created flow log). */
export type StepOutputs = Readonly<Record<string, string>>;

/** What every guardrail section of the policy has. */
export interface GuardrailPolicyBase {
  mode: Mode;
}

/** Which resource to look at. Carries no state: the controller always re-reads it. */
export interface ResourceRef {
  type: string;
  id: string;
  arn: string | null;
  region: string;
}

/** Everything a guardrail's I/O functions may use. */
export interface Scope<P> {
  account: string;
  region: string;
  policy: P;
  clients: AwsClients;
  logger: Logger;
  now: () => Date;
  /**
   * Reads the resources of one invocation (one event, one sweep) may share, such as the log bucket
   * many buckets point at. The controller creates it per invocation; it is gone afterwards.
   */
  memo: Map<string, unknown>;
  /**
   * The invocation's id: the triggering EventBridge event's id (which a redelivery keeps), else a
   * fresh one. The base of idempotency tokens, so a redelivered event writes once and a later
   * event writes anew.
   */
  runId: string;
}

/** The CloudTrail record inside an `AWS API Call via CloudTrail` event, as far as logwarden reads it. */
export interface CloudTrailDetail {
  eventName: string;
  eventSource: string;
  eventID: string | null;
  awsRegion: string;
  recipientAccountId: string | null;
  errorCode: string | null;
  userIdentity: Record<string, unknown> | null;
  requestParameters: Record<string, unknown> | null;
  responseElements: Record<string, unknown> | null;
}

/**
 * Resources to reconcile, with states a bulk listing already read (keyed by `ref.id`). A pre-read
 * state is used for the first observation only: the re-read under the lease and the verification
 * always go to AWS.
 */
export interface Listing<R extends ResourceRef, S = never> {
  refs: R[];
  preread?: ReadonlyMap<string, S>;
  /**
   * Why the listing may have missed resources (a service that cut a listing without a continuation
   * token). The sweep then ends with a `failed` record saying so, never with a clean success.
   */
  incomplete?: string;
}

/** The result of mapping an event to resources: the refs, or why nothing is to be done. */
export type Resolution<R extends ResourceRef, S = never> = Listing<R, S> | { ignore: string; resource?: Partial<R> };

/**
 * A permission on named resources only. An action named here is granted only here, never on `*`.
 * Resource ARNs a guardrail builds write `arn:{partition}:` (the infrastructure puts the stack's
 * partition in) and `*` for the account (narrowed to the function's own); ARNs from the policy are
 * kept as written. A resource of exactly `*` (an action without resource-level permissions) needs
 * `why`. `iam:PassRole` must be alone in its statement and name the service the role is passed to
 * (`passedToService`, e.g. `vpc-flow-logs.amazonaws.com`): the infrastructure adds the
 * `iam:PassedToService` condition, so the role can be passed to nothing else.
 */
export interface ScopedPermission {
  actions: string[];
  resources: string[];
  passedToService?: string;
  /** Why these resources and no narrower ones: required when one of them is `*`. */
  why?: string;
}

/**
 * Declared actions granted on every resource (`*`), with the written reason no narrower resource
 * fits (the service has no resource-level permissions for them, or the resource is only known from
 * an event at run time). Reads may be justified as a group.
 */
interface UnscopedActions {
  actions: readonly string[];
  why: string;
}

/** One write the guardrail will make. `api` is the IAM action, e.g. `cloudtrail:StartLogging`. */
export interface Step {
  api: string;
  description: string;
}

/**
 * The contract every guardrail implements. `diff`, `plan`, `skipReason` and `tagsOf` are pure;
 * the rest does AWS I/O through `scope.clients`.
 *
 * @example
 * export const cloudtrail: Guardrail<CloudTrailPolicy, TrailRef, TrailState, TrailPolicy, TrailStep> = { ... };
 */
export interface Guardrail<P extends GuardrailPolicyBase, R extends ResourceRef, S, D, A extends Step> {
  /** Stable name: the policy key, the audit record's `guardrail`, the folder name. */
  readonly name: string;
  readonly title: string;
  /** CloudFormation / Config resource type, e.g. `AWS::CloudTrail::Trail`. */
  readonly resourceType: string;
  /** Path of the runbook, relative to the repository root. */
  readonly runbook: string;
  /** Schema of this guardrail's section of the policy document. */
  readonly policySchema: z.ZodType<P>;
  /** Every IAM action the guardrail's code calls. The infrastructure builds its role from this list. */
  readonly iamActions: readonly string[];
  /**
   * The `diff` properties whose drift means logging is off (a trail stopped or deleted, a flow log
   * gone, access logging off, a detector deleted or suspended). The flapping breaker never holds these
   * back: a resource someone keeps switching off is switched back on every time, and escalated.
   * Drift in any other property is settings-level: the breaker may hold it back for its window.
   */
  readonly loggingOffDrift: readonly string[];
  /**
   * Permissions that apply only to some resources or only with some policies (e.g. `iam:PassRole`
   * for the configured delivery role). The infrastructure adds them as scoped statements.
   */
  scopedPermissions?(policy: P): ScopedPermission[];
  /**
   * The declared actions left on `*`, each group with its reason. Every declared action is either in
   * a scoped permission for the deployed policy or here (never both): the infrastructure refuses to
   * synthesize a role otherwise (`InvalidPermission`).
   */
  readonly unscopedActions: readonly UnscopedActions[];
  /**
   * The guardrail's default sweep schedule (an EventBridge `rate(...)`/`cron(...)` expression), when the
   * deployment-wide `controller.sweepSchedule` is too slow for it. The policy's
   * `controller.sweepSchedules` still overrides it.
   */
  readonly sweepSchedule?: string;
  /**
   * The CloudTrail events it reacts to, per EventBridge `source`, each with a plausible record of such
   * a call: `requestParameters` and `responseElements` shaped as the service logs them, naming
   * resources of the demo policy. The fuzz test builds its events from these samples only, so a
   * realistic sample is what makes it reach past intake. `perEvent` replaces the sample for an event
   * whose record differs (e.g. `CreateVpc`, whose response names the new VPC).
   */
  readonly cloudTrailEvents: readonly {
    source: string;
    eventNames: readonly string[];
    sample: {
      requestParameters: Record<string, unknown>;
      responseElements?: Record<string, unknown> | null;
      perEvent?: Readonly<
        Record<string, { requestParameters: Record<string, unknown>; responseElements?: Record<string, unknown> | null }>
      >;
    };
  }[];

  /** Which resources a (successful, foreign) CloudTrail event points at. */
  refsFromCloudTrail(detail: CloudTrailDetail, scope: Scope<P>): Resolution<R, S> | Promise<Resolution<R, S>>;
  /** Which resource a Config resource id (or a CLI argument) points at. */
  refFromResourceId(resourceId: string, scope: Scope<P>): Resolution<R>;
  /** Every governed resource of the account and region, for a sweep. */
  listRefs(scope: Scope<P>): Promise<Listing<R, S>>;
  /** The desired state of one resource from the policy. */
  desired(ref: R, policy: P): D;
  /** Read the real state. A missing resource is a state, not an error. */
  observe(ref: R, scope: Scope<P>, observation?: Observation<S, A>): Promise<S>;
  /**
   * The resource's tags as `observe` read them. Tags never exempt (exemptions are the policy's); a
   * `logwarden:exempt*` tag is noted in the record as an unapproved request.
   */
  tagsOf(state: S): Record<string, string>;
  /**
   * For a guardrail whose `observe` does not read tags (one read per resource in a sweep): read them
   * only when there is drift to write or report, for the unapproved-request note.
   */
  readTags?(ref: R, state: S, scope: Scope<P>): Promise<Record<string, string>>;
  /** A reason to leave this resource to someone else (another region or account owns it), or null. */
  skipReason?(ref: R, state: S, scope: Pick<Scope<P>, 'account' | 'region'>): string | null;
  /**
   * A reason to only report this resource's drift whatever the policy's mode, or null to act as the
   * mode says. For drift a person must judge (a finding for the security team) or that only another
   * account can fix (a setting owned by a delegated administrator). Pure. The record then has
   * outcome `drift-detected` and mode `notify`.
   */
  reportOnly?(ref: R, state: S, drift: Drift[], policy: P): string | null;
  /**
   * A reason logwarden cannot restore this drift (a deleted function or table only a redeployment
   * brings back; logs that their destination refuses, which is not logwarden's to change), or null. Pure. In `remediate` mode the record is then `failed`, not retryable, with
   * the reason and the runbook: a silenced part of logwarden must alarm, not pass as a report.
   */
  unrestorable?(ref: R, state: S, drift: Drift[], policy: P): string | null;
  /** Compare observed with desired. Pure. */
  diff(state: S, desired: D): Drift[];
  /** The writes that bring the state to the desired one, in order. Pure. */
  plan(state: S, desired: D, drift: Drift[]): A[];
  /**
   * Make one write. Throws the SDK error on failure. Gets the outputs of the earlier writes of the
   * same remediation and returns its own (or nothing): no state is shared between steps otherwise.
   */
  apply(step: A, ref: R, desired: D, scope: Scope<P>, earlier: StepOutputs): Promise<StepOutputs> | Promise<void>;
  /** Optional: sweep writes that one call carries for many resources (see `BatchWrites`). */
  readonly batch?: BatchWrites<P, R, S, D, A>;
}

/** One resource of a batch: its ref, the state its decision saw, and its single planned write. */
export interface BatchItem<R extends ResourceRef, S, A extends Step> {
  ref: R;
  state: S;
  step: A;
}

/**
 * Sweep writes one API call can carry for many resources (`CreateFlowLogs` takes up to 1,000 VPC
 * ids), verified with one listing call. Used only by sweeps, for resources whose plan is a single
 * step with a `groupOf` key; event-driven remediation stays per resource. Every resource still gets
 * its own record with its own outcome: a batch answer's per-resource refusals fail only those.
 */
interface BatchWrites<P, R extends ResourceRef, S, D, A extends Step> {
  /** Steps with the same key go in one call; null: this step is made per resource. Pure. */
  groupOf(step: A, ref: R, desired: D): string | null;
  /**
   * Make one group's write for every item, in as few calls as the API allows. Returns the error of
   * each refused item by `ref.id` (absent: accepted). Throws when the whole call failed.
   */
  applyMany(items: readonly BatchItem<R, S, A>[], desired: D, scope: Scope<P>): Promise<Map<string, unknown>>;
  /**
   * Re-read the items at once (under the lease, and to verify), by `ref.id`: only what the group's
   * write can change is read again; the rest comes from each item's `state`.
   */
  observeMany(items: readonly BatchItem<R, S, A>[], scope: Scope<P>): Promise<Map<string, S>>;
}

// biome-ignore lint/suspicious/noExplicitAny: the registry holds guardrails of different type parameters.
export type AnyGuardrail = Guardrail<any, any, any, any, any>;
