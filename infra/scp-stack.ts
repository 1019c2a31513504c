import { Aws, aws_organizations as organizations, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { Deployment } from './config.js';
import { DeploymentConfigError } from './config.js';
import { renderRegionGuardPolicy, renderServiceControlPolicy, SCP_MAX_CHARS, serviceControlPolicySize } from './scp.js';

/** The name of the SCP in AWS Organizations. */
export const SCP_NAME = 'logwarden-protect';
/** The optional second SCP: deny the regions logwarden does not govern. */
export const REGION_GUARD_SCP_NAME = 'logwarden-region-guard';

/** The longest partition name among AWS's (`aws`, `aws-cn`, `aws-us-gov`, `aws-iso-b`…), to size the SCP. */
const LONGEST_PARTITION = 'aws-us-gov';

/**
 * The preventive SCP, in the management account (only it, or a delegated administrator of
 * Organizations policies, may create and attach SCPs). SCPs never apply to the management account
 * itself, so the member stack deployed there directly is not affected.
 */
export class ScpStack extends Stack {
  readonly policy: organizations.CfnPolicy;
  readonly regionGuard?: organizations.CfnPolicy;
  constructor(scope: Construct, id: string, props: StackProps & { deployment: Deployment }) {
    super(scope, id, props);
    const { config, policy } = props.deployment;
    const document = renderServiceControlPolicy(config, policy, Aws.PARTITION);
    // Sized with the longest partition name: the token stands for at most that many characters.
    const size = serviceControlPolicySize(renderServiceControlPolicy(config, policy, LONGEST_PARTITION));
    // Fail at synth, not at deploy: Organizations rejects a larger SCP.
    if (size > SCP_MAX_CHARS) {
      throw new DeploymentConfigError(
        `the SCP is ${size} characters, over the ${SCP_MAX_CHARS} limit (fewer break-glass roles?)`,
      );
    }
    this.policy = new organizations.CfnPolicy(this, 'Protect', {
      name: SCP_NAME,
      type: 'SERVICE_CONTROL_POLICY',
      description: 'logwarden: deny turning logwarden and the logging it governs off (see docs/deployment.md)',
      content: document,
      targetIds: config.scp.targetIds,
    });
    if (config.scp.denyUngovernedRegions) {
      this.regionGuard = new organizations.CfnPolicy(this, 'RegionGuard', {
        name: REGION_GUARD_SCP_NAME,
        type: 'SERVICE_CONTROL_POLICY',
        description: 'logwarden: deny regional actions outside the governed regions (see docs/deployment.md)',
        content: renderRegionGuardPolicy(config, policy, Aws.PARTITION),
        targetIds: config.scp.targetIds,
      });
    }
  }
}
