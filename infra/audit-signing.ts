import { Aws, CfnOutput, aws_iam as iam, aws_kms as kms, RemovalPolicy } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { functionRoleName, ROLE_PATH } from '../controllers/core/identity.js';
import { Group } from './group.js';
import { acknowledge } from './nag.js';

/** The alias of the audit signing key (`logwarden audit --verify` fetches its public key by it). */
export const SIGNING_KEY_ALIAS = 'alias/logwarden-audit-signing';

/**
 * The roles that may sign: the functions that publish audit records (each guardrail's controller and
 * the heartbeat), in any account of the organization. IAM cannot list every member account's role
 * ARN, so the account is a wildcard, bound by `aws:PrincipalOrgID`; the fixed names and path do the
 * rest, and the SCP forbids creating or changing roles on logwarden's path in member accounts.
 */
function signerRolePatterns(partition: string): string[] {
  return [functionRoleName('controller', '*', '*'), functionRoleName('heartbeat', 'heartbeat', '*')].map(
    (name) => `arn:${partition}:iam::*:role${ROLE_PATH}${name}`,
  );
}

/** What the central account's administrators may do with the key: everything but use it to sign. */
const KEY_ADMIN_ACTIONS = [
  'kms:Create*',
  'kms:Describe*',
  'kms:Enable*',
  'kms:List*',
  'kms:Put*',
  'kms:Update*',
  'kms:Revoke*',
  'kms:Disable*',
  'kms:Get*',
  'kms:Delete*',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
  'kms:Verify',
];

/**
 * The signing key's policy, as a plain document (tested by evaluation). Sign: only logwarden's
 * publishing roles of the organization, and an explicit deny for everyone else so no later grant
 * (an IAM policy, another statement) can open it. Verify and GetPublicKey: any principal of the
 * organization. Administration: the central account, without Sign. Pure.
 */
export function signingKeyPolicy(input: { partition: string; account: string; organizationId: string }) {
  const signers = signerRolePatterns(input.partition);
  const org = input.organizationId;
  const anyone = { AWS: '*' };
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'CentralAccountAdministers',
        Effect: 'Allow',
        Principal: { AWS: `arn:${input.partition}:iam::${input.account}:root` },
        Action: KEY_ADMIN_ACTIONS,
        Resource: '*',
      },
      {
        Sid: 'LogwardenFunctionsSign',
        Effect: 'Allow',
        Principal: anyone,
        Action: 'kms:Sign',
        Resource: '*',
        Condition: { ArnLike: { 'aws:PrincipalArn': signers }, StringEquals: { 'aws:PrincipalOrgID': org } },
      },
      {
        Sid: 'NoOtherRoleSigns',
        Effect: 'Deny',
        Principal: anyone,
        Action: 'kms:Sign',
        Resource: '*',
        Condition: { ArnNotLike: { 'aws:PrincipalArn': signers } },
      },
      {
        Sid: 'NoSigningOutsideTheOrganization',
        Effect: 'Deny',
        Principal: anyone,
        Action: 'kms:Sign',
        Resource: '*',
        Condition: { StringNotEquals: { 'aws:PrincipalOrgID': org } },
      },
      {
        Sid: 'OrganizationVerifies',
        Effect: 'Allow',
        Principal: anyone,
        Action: ['kms:GetPublicKey', 'kms:Verify'],
        Resource: '*',
        Condition: { StringEquals: { 'aws:PrincipalOrgID': org } },
      },
    ],
  };
}

/**
 * The asymmetric key (ECC_NIST_P256, SIGN_VERIFY) that signs audit records, in the central account.
 * Its ARN goes into the policy's `audit.signingKey` (stack output `AuditSigningKeyArn`).
 */
export class AuditSigningKey extends Group {
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: { organizationId: string }) {
    super(scope, id);
    const policy = signingKeyPolicy({ partition: Aws.PARTITION, account: Aws.ACCOUNT_ID, organizationId: props.organizationId });
    this.key = new kms.Key(this, 'AuditSigningKey', {
      alias: SIGNING_KEY_ALIAS,
      description: 'logwarden: signs audit records (kms:Sign only by logwarden functions of the organization)',
      keySpec: kms.KeySpec.ECC_NIST_P256,
      keyUsage: kms.KeyUsage.SIGN_VERIFY,
      // The whole key policy: CDK's default (kms:* for the account) would let any admin sign.
      policy: iam.PolicyDocument.fromJson(policy),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(
      this.key,
      'AwsSolutions-KMS5',
      'Asymmetric signing key: KMS does not rotate asymmetric keys. A new key is a new trusted public key for `logwarden audit --verify`, rolled by hand (docs/audit.md).',
    );
    new CfnOutput(this, 'AuditSigningKeyArn', {
      key: 'AuditSigningKeyArn',
      value: this.key.keyArn,
      description: 'Put this ARN in the policy as audit.signingKey',
    });
  }
}
