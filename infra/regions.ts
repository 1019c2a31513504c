import { RegionInfo } from 'aws-cdk-lib/region-info';

/**
 * The regions of a partition that the deployment does not govern: no controller runs there, so
 * logging switched off there goes unnoticed (#17). Listed at synth (the rollout stack's output) and
 * deniable with the optional region-guard SCP. From the CDK's region table, so it grows with the CDK. Pure.
 */
export function ungovernedRegions(governed: readonly string[], partition = 'aws'): string[] {
  return RegionInfo.regions
    .filter((r) => r.partition === partition && !governed.includes(r.name))
    .map((r) => r.name)
    .sort();
}
