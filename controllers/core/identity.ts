/**
 * logwarden's own identity: the fixed names of the roles its functions run as. The infrastructure
 * creates them (infra/function.ts), the policy names the controllers' ones exactly
 * (`controller.ownRoleArns`) and infra/config.ts checks that both agree.
 */

/** The IAM path of every function role (for SCPs and people; trust is by exact ARN, never by path). */
export const ROLE_PATH = '/logwarden/';

/** What a function does: a guardrail's controller or Config-rule evaluator, or the heartbeat. */
export type FunctionKind = 'controller' | 'config-rule' | 'heartbeat';

/**
 * The fixed name of a function's role, e.g. `logwarden-cloudtrail-controller-eu-west-1`. IAM is global
 * and the StackSet puts one stack per region in each account, so the region is part of the name; the
 * kind keeps it apart from the guardrails' other roles (`logwarden-flow-logs-<region>` delivers flow
 * logs). Pure; `region` may be a CDK token or the `{region}` placeholder.
 */
export function functionRoleName(kind: FunctionKind, guardrail: string, region: string): string {
  return kind === 'heartbeat' ? `logwarden-heartbeat-${region}` : `logwarden-${guardrail}-${kind}-${region}`;
}

/**
 * The partition of a region's ARNs (`arn:<partition>:...`): `aws-cn` for China, `aws-us-gov` for
 * GovCloud, the ISO partitions by their prefixes, `aws` otherwise. Controllers build the ARNs of the
 * resources they govern with it, so an ARN compared or logged in GovCloud or China is the real one. Pure.
 *
 * @example
 * partitionOf('cn-north-1'); // 'aws-cn'
 */
export function partitionOf(region: string): string {
  const byPrefix: [string, string][] = [
    ['cn-', 'aws-cn'],
    ['us-gov-', 'aws-us-gov'],
    ['us-isob-', 'aws-iso-b'],
    ['us-isof-', 'aws-iso-f'],
    ['us-iso-', 'aws-iso'],
    ['eu-isoe-', 'aws-iso-e'],
    ['eusc-', 'aws-eusc'],
  ];
  return byPrefix.find(([prefix]) => region.startsWith(prefix))?.[1] ?? 'aws';
}

/** The `controller.ownRoleArns` entry of a guardrail's controller role, in the aws partition. Pure. */
export function ownRoleArnTemplate(guardrail: string): string {
  return `arn:aws:iam::{account}:role${ROLE_PATH}${functionRoleName('controller', guardrail, '{region}')}`;
}

/** The central heartbeat monitor's role, e.g. `logwarden-heartbeat-monitor-us-east-1`: the bus policy names it exactly. */
export function monitorRoleName(region: string): string {
  return `logwarden-heartbeat-monitor-${region}`;
}

/**
 * The fixed name of the role EventBridge uses in each member deployment to forward logwarden's alarm
 * state changes to the central bus, e.g. `logwarden-alarm-forwarder-eu-west-1`. Fixed so that the bus
 * policy can name it. Pure; `region` may be a CDK token.
 */
export function alarmForwarderRoleName(region: string): string {
  return `logwarden-alarm-forwarder-${region}`;
}
